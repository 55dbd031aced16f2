import type { Redis } from 'ioredis';
import { connectRedis } from '../../../src/redis/connection.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TemporaryError } from '../../../src/errors.js';
import { CONTACT_LOCK_TTL_MS, withContactLock, withContactLocks } from '../../../src/hub/stores/contact-lock.store.js';
import { cleanupRedis, redisUrl, uniquePrefix } from '../../support/test-env.js';

/**
 * The per-contact locks of the hub against a real Redis: a set of locks is taken all or nothing
 * (one script), given up cleanly after waitMs, released only where this holder still owns the key.
 */
describe('withContactLocks / withContactLock (real Redis)', () => {
  const prefix = uniquePrefix();
  const key = (id: string) => `${prefix}:hub:lock:${id}`;
  let r: Redis;
  beforeAll(() => {
    r = connectRedis(redisUrl(), { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    r.disconnect();
    await cleanupRedis(prefix);
  });

  /** Resolves once `check` holds, looking again each turn of the event loop (bounded by the test timeout). */
  async function eventually(check: () => Promise<boolean>): Promise<void> {
    while (!(await check())) await new Promise((res) => setTimeout(res, 5));
  }

  it('a set of locks is held all together for the call and released afterwards', async () => {
    const inside = await withContactLocks(r, prefix, ['m3', 'm1', 'm2', 'm1'], async () => Promise.all(['m1', 'm2', 'm3'].map((id) => r.get(key(id)))));
    // One token, on every key (duplicates folded), while the function ran.
    expect(inside[0]).toMatch(/^[0-9a-f]{16}$/);
    expect(new Set(inside)).toEqual(new Set([inside[0]]));
    expect(await r.exists(key('m1'), key('m2'), key('m3'))).toBe(0);
  });

  it('no ids: the function runs and no key is written', async () => {
    expect(await withContactLocks(r, prefix, [], async () => (await r.keys(`${prefix}*`)).length)).toBe(0);
  });

  it('takes none of a set while one member is held elsewhere, waits, and proceeds once it is released', async () => {
    await r.set(key('b'), 'someone-else', 'PX', 30_000);
    let ran = false;
    const call = withContactLocks(r, prefix, ['a', 'b', 'c'], async () => {
      ran = true;
      return Promise.all([r.get(key('a')), r.get(key('b')), r.get(key('c'))]);
    });
    // While b is held: the call keeps polling and never takes a or c in the meantime.
    for (let i = 0; i < 10; i++) {
      await new Promise((res) => setTimeout(res, 10));
      expect(await r.exists(key('a'), key('c'))).toBe(0);
      expect(ran).toBe(false);
    }
    expect(await r.get(key('b'))).toBe('someone-else');
    await r.del(key('b'));
    const [a, b, c] = await call;
    expect(ran).toBe(true);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect([b, c]).toEqual([a, a]);
    expect(await r.exists(key('a'), key('b'), key('c'))).toBe(0);
  });

  it('gives up after waitMs with a retryable contact_locked error, leaving no key of its own', async () => {
    await r.set(key('q'), 'someone-else', 'PX', 30_000);
    let ran = false;
    const err = await withContactLocks(r, prefix, ['p', 'q', 's'], async () => (ran = true), { waitMs: 60 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemporaryError);
    expect((err as TemporaryError).code).toBe('contact_locked');
    expect((err as TemporaryError).retryable).toBe(true);
    expect(ran).toBe(false);
    expect(await r.exists(key('p'), key('s'))).toBe(0);
    // The other holder's lock is untouched.
    expect(await r.get(key('q'))).toBe('someone-else');
    await r.del(key('q'));
  });

  it('releases the locks when the function throws, and the error reaches the caller', async () => {
    const boom = new Error('write failed');
    await expect(withContactLocks(r, prefix, ['t1', 't2'], async () => {
      expect(await r.exists(key('t1'), key('t2'))).toBe(2);
      throw boom;
    })).rejects.toBe(boom);
    expect(await r.exists(key('t1'), key('t2'))).toBe(0);
    // Free again at once: a second holder gets them without waiting out a ttl.
    expect(await withContactLocks(r, prefix, ['t1', 't2'], async () => 'again', { waitMs: 0 })).toBe('again');
  });

  it('releasing never deletes a key that expired and now belongs to another holder; its own keys still go', async () => {
    await withContactLocks(r, prefix, ['e1', 'e2', 'e3'], async () => {
      // Our locks expire while we work (short ttl); another holder takes e2 before we release.
      await eventually(async () => (await r.exists(key('e1'), key('e2'), key('e3'))) === 0);
      await r.set(key('e2'), 'next-holder', 'PX', 30_000);
    }, { ttlMs: 30, renew: false });
    expect(await r.get(key('e2'))).toBe('next-holder');
    expect(await r.exists(key('e1'), key('e3'))).toBe(0);

    // Same for one contact, where a key may be re-set (not just expire) by the next holder.
    await withContactLock(r, prefix, 'e4', async () => {
      await eventually(async () => (await r.exists(key('e4'))) === 0);
      await r.set(key('e4'), 'next-holder', 'PX', 30_000);
    }, { ttlMs: 30, renew: false });
    expect(await r.get(key('e4'))).toBe('next-holder');
    await r.del(key('e2'), key('e4'));
  });

  it('a live holder keeps its locks past their ttl: they are renewed while it works', async () => {
    const tokens = await withContactLocks(r, prefix, ['r1', 'r2'], async () => {
      await new Promise((res) => setTimeout(res, 450));
      return Promise.all([r.get(key('r1')), r.get(key('r2'))]);
    }, { ttlMs: 150 });
    expect(tokens[0]).toMatch(/^[0-9a-f]{16}$/);
    expect(tokens[1]).toBe(tokens[0]);
    expect(await r.exists(key('r1'), key('r2'))).toBe(0);
  });

  it('a holder that dies (stops renewing) blocks its contacts for at most 3 s', async () => {
    // What a SIGKILLed worker leaves behind: the key with the TTL it was given at its last renewal.
    const ttl = await withContactLock(r, prefix, 'dead', async () => r.pttl(key('dead')));
    expect(CONTACT_LOCK_TTL_MS).toBeLessThanOrEqual(3_000);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(3_000);
  });

  it('one contact: waits for the holder, then runs under its own token; a short wait gives up naming the contact', async () => {
    await r.set(key('solo'), 'someone-else', 'PX', 30_000);
    const err = await withContactLock(r, prefix, 'solo', async () => 1, { waitMs: 30 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemporaryError);
    expect((err as TemporaryError).code).toBe('contact_locked');
    expect((err as Error).message).toContain('contact solo');
    expect(await r.get(key('solo'))).toBe('someone-else');

    let ran = false;
    const call = withContactLock(r, prefix, 'solo', async () => {
      ran = true;
      return r.get(key('solo'));
    });
    await new Promise((res) => setTimeout(res, 30));
    expect(ran).toBe(false);
    await r.del(key('solo'));
    const token = await call;
    expect(token).toMatch(/^[0-9a-f]{16}$/);
    expect(token).not.toBe('someone-else');
    expect(await r.exists(key('solo'))).toBe(0);
  });

  it('single and batched holders of overlapping contacts exclude each other and never deadlock', async () => {
    const holding = new Map<string, number>();
    let overlap = 0;
    const sets = [['x1', 'x2', 'x3'], ['x3', 'x2'], ['x2'], ['x4', 'x1'], ['x3', 'x4'], ['x1'], ['x4', 'x3', 'x2', 'x1']];
    const runs = sets.flatMap((ids) => [ids, [...ids].reverse()]).map((ids, n) => {
      const body = async () => {
        for (const id of ids) {
          const h = (holding.get(id) ?? 0) + 1;
          holding.set(id, h);
          if (h > 1) overlap++;
        }
        // Yield a few turns so that the holders really do run at the same time when they can.
        await new Promise((res) => setTimeout(res, 3));
        for (const id of ids) holding.set(id, holding.get(id)! - 1);
        return n;
      };
      return ids.length === 1 ? withContactLock(r, prefix, ids[0]!, body) : withContactLocks(r, prefix, ids, body);
    });
    expect(await Promise.all(runs)).toEqual(runs.map((_, n) => n));
    expect(overlap).toBe(0);
    expect(await r.exists(...['x1', 'x2', 'x3', 'x4'].map(key))).toBe(0);
  });
});
