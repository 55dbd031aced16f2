import { describe, expect, it } from 'vitest';
import { type BatchKey, type BatchedItem, FanoutBatcher } from '../../../src/hub/services/fanout-batcher.service.js';

const item = (n: number): BatchedItem => ({ contactId: `c${n}`, version: n });
const turn = () => new Promise((res) => setImmediate(res));

/** A promise the test settles by hand. */
function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A flush that records each batch and waits for the test to finish (or fail) it. */
function heldFlush() {
  const batches: { ids: string[]; key: BatchKey; done: ReturnType<typeof deferred> }[] = [];
  const flush = async (items: BatchedItem[], key: BatchKey) => {
    const done = deferred();
    const n = batches.push({ ids: items.map((i) => i.contactId), key, done });
    await done.promise;
    return `flush ${n}`;
  };
  return { batches, flush };
}

describe('FanoutBatcher: groups, in-flight batches and failures', () => {
  it('holders given in another order are the same group: one flush', async () => {
    const f = heldFlush();
    const b = new FanoutBatcher(f.flush);
    const calls = [b.add(item(1), { origin: 'x', holders: ['supabase', 'twenty'] }), b.add(item(2), { origin: 'x', holders: ['twenty', 'supabase'] })];
    await turn();
    expect(f.batches.map((x) => x.ids)).toEqual([['c1', 'c2']]);
    f.batches[0]!.done.resolve();
    expect(await Promise.all(calls)).toEqual(['flush 1', 'flush 1']);
  });

  it('groups flush independently: one group in flight does not hold back another', async () => {
    const f = heldFlush();
    const b = new FanoutBatcher(f.flush);
    const first = b.add(item(1), { origin: 'twenty-edit', holders: ['twenty'] });
    await turn();
    const other = b.add(item(2), { origin: 'supabase-edit', holders: ['supabase'] });
    await turn();
    // Both groups have a flush running at once.
    expect(f.batches.map((x) => [x.key.origin, x.ids])).toEqual([['twenty-edit', ['c1']], ['supabase-edit', ['c2']]]);
    f.batches[1]!.done.resolve();
    expect(await other).toBe('flush 2');
    f.batches[0]!.done.resolve();
    expect(await first).toBe('flush 1');
    expect(b.pending).toBe(0);
  });

  it('changes queued behind a flush that fails go into the next flush and succeed; only the failed batch is rejected', async () => {
    const f = heldFlush();
    const b = new FanoutBatcher(f.flush);
    const key: BatchKey = { origin: 'twenty-edit', holders: [] };
    const doomed = [b.add(item(1), key), b.add(item(2), key)].map((p) => p.then(() => 'ok', (e: Error) => e.message));
    await turn();
    const behind = [b.add(item(3), key), b.add(item(4), key)];
    await turn();
    expect(f.batches).toHaveLength(1);
    f.batches[0]!.done.reject(new Error('queue unavailable'));
    expect(await Promise.all(doomed)).toEqual(['queue unavailable', 'queue unavailable']);
    await turn();
    expect(f.batches.map((x) => x.ids)).toEqual([['c1', 'c2'], ['c3', 'c4']]);
    f.batches[1]!.done.resolve();
    expect(await Promise.all(behind)).toEqual(['flush 2', 'flush 2']);
    expect(b.pending).toBe(0);
  });

  it('maxItems also bounds the batch that forms while one is in flight', async () => {
    const f = heldFlush();
    const b = new FanoutBatcher(f.flush, 3);
    const key: BatchKey = { origin: 'o', holders: [] };
    const all = [b.add(item(0), key)];
    await turn();
    for (let n = 1; n <= 7; n++) all.push(b.add(item(n), key));
    await turn();
    expect(b.pending).toBe(7);
    // Finish each flush in turn; the next one starts by itself with at most 3 of those waiting.
    for (const [i, first] of [0, 1, 4, 7].entries()) {
      await turn();
      expect(f.batches).toHaveLength(i + 1);
      f.batches[i]!.done.resolve();
      await all[first];
    }
    expect(f.batches.map((x) => x.ids)).toEqual([['c0'], ['c1', 'c2', 'c3'], ['c4', 'c5', 'c6'], ['c7']]);
    expect(await Promise.all(all)).toEqual(['flush 1', 'flush 2', 'flush 2', 'flush 2', 'flush 3', 'flush 3', 'flush 3', 'flush 4']);
    expect(b.pending).toBe(0);
  });
});
