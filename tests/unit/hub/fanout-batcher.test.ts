import { describe, expect, it } from 'vitest';
import { type BatchKey, type BatchedItem, FanoutBatcher } from '../../../src/hub/services/fanout-batcher.service.js';

const key: BatchKey = { origin: 'twenty-edit', holders: ['twenty'] };
const item = (n: number): BatchedItem => ({ contactId: `c${n}`, version: n });

/** A flush that records its batches and, when told to, waits for the test to let it finish. */
function recorder(opts: { hold?: boolean; failOn?: string } = {}) {
  const batches: { ids: string[]; key: BatchKey }[] = [];
  const releases: (() => void)[] = [];
  const flush = async (items: BatchedItem[], k: BatchKey) => {
    batches.push({ ids: items.map((i) => i.contactId), key: k });
    if (opts.hold) await new Promise<void>((r) => releases.push(r));
    if (opts.failOn && items.some((i) => i.contactId === opts.failOn)) throw new Error(`flush of ${opts.failOn} failed`);
    return batches.length;
  };
  return { batches, releases, flush };
}

describe('FanoutBatcher (group commit of fan-outs)', () => {
  it('a single change is flushed alone, without a timer', async () => {
    const r = recorder();
    const b = new FanoutBatcher(r.flush);
    await expect(b.add(item(1), key)).resolves.toBe(1);
    expect(r.batches).toEqual([{ ids: ['c1'], key }]);
    expect(b.pending).toBe(0);
  });

  it('changes added in the same turn share one flush, and every caller gets its result', async () => {
    const r = recorder();
    const b = new FanoutBatcher(r.flush);
    const results = await Promise.all([1, 2, 3].map((n) => b.add(item(n), key)));
    expect(results).toEqual([1, 1, 1]);
    expect(r.batches.map((x) => x.ids)).toEqual([['c1', 'c2', 'c3']]);
  });

  it('changes arriving while a flush is in flight go into the next one', async () => {
    const r = recorder({ hold: true });
    const b = new FanoutBatcher(r.flush);
    const first = b.add(item(1), key);
    await new Promise((res) => setImmediate(res));
    expect(r.batches.map((x) => x.ids)).toEqual([['c1']]);
    const later = [b.add(item(2), key), b.add(item(3), key)];
    await new Promise((res) => setImmediate(res));
    // Still one flush: the second waits for the first to finish.
    expect(r.batches).toHaveLength(1);
    expect(b.pending).toBe(2);
    r.releases.shift()!();
    await first;
    await new Promise((res) => setImmediate(res));
    expect(r.batches.map((x) => x.ids)).toEqual([['c1'], ['c2', 'c3']]);
    r.releases.shift()!();
    expect(await Promise.all(later)).toEqual([2, 2]);
    expect(b.pending).toBe(0);
  });

  it('never mixes origins or holders in one flush', async () => {
    const r = recorder();
    const b = new FanoutBatcher(r.flush);
    const other: BatchKey = { origin: 'supabase-edit', holders: ['supabase'] };
    const none: BatchKey = { origin: 'twenty-edit', holders: [] };
    await Promise.all([b.add(item(1), key), b.add(item(2), other), b.add(item(3), key), b.add(item(4), none)]);
    const byKey = r.batches.map((x) => `${x.key.origin}/${x.key.holders.join(',')}:${x.ids.join(',')}`).sort();
    expect(byKey).toEqual(['supabase-edit/supabase:c2', 'twenty-edit/:c4', 'twenty-edit/twenty:c1,c3']);
  });

  it('splits a burst larger than maxItems into several flushes, resolving every caller', async () => {
    const r = recorder();
    const b = new FanoutBatcher(r.flush, 4);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => b.add(item(i), key)));
    expect(r.batches.map((x) => x.ids.length)).toEqual([4, 4, 2]);
    expect(r.batches.flatMap((x) => x.ids)).toEqual(Array.from({ length: 10 }, (_, i) => `c${i}`));
    expect(results).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3]);
  });

  it('a failed flush rejects exactly its own callers; the next batch still goes through', async () => {
    const r = recorder({ failOn: 'c1' });
    const b = new FanoutBatcher(r.flush);
    const failed = await Promise.allSettled([b.add(item(1), key), b.add(item(2), key)]);
    expect(failed.map((f) => f.status)).toEqual(['rejected', 'rejected']);
    expect(String((failed[0] as PromiseRejectedResult).reason)).toContain('flush of c1 failed');
    await expect(b.add(item(3), key)).resolves.toBe(2);
    expect(b.pending).toBe(0);
  });
});
