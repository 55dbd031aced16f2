import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, type RedisClient } from '../../../../src/redis/connection.js';
import { SharedRequestLimiter } from '../../../../src/systems/limits/shared-request-limiter.js';
import { cleanupRedis, redisUrl, uniquePrefix } from '../../../support/test-env.js';

/** The largest number of `times` inside any window of `windowMs` starting at one of them. */
const busiest = (times: readonly number[], windowMs: number) => Math.max(0, ...times.map((t) => times.filter((u) => u >= t && u < t + windowMs).length));

/** Redis's clock, in ms (the limiter's slots are scored by it). */
const redisMs = async (c: RedisClient) => {
  const [sec, usec] = (await c.call('TIME')) as [string, string];
  return Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
};

/** Three processes' worth of limiters: each its own Redis connection, one key. */
describe('SharedRequestLimiter: one request budget in Redis for every process', () => {
  const prefix = uniquePrefix();
  const conns: RedisClient[] = [];
  beforeAll(() => {
    for (let i = 0; i < 3; i++) conns.push(createRedis(redisUrl(), { name: `${prefix}:limiter-${i}` }));
  });
  afterAll(async () => {
    for (const c of conns) await c.quit();
    await cleanupRedis(prefix);
  });
  const limiters = (key: string, limit: number, windowMs: number, requestTimeoutMs = 5000) =>
    conns.map((c) => new SharedRequestLimiter({ limit, windowMs, redis: () => c, key: `${prefix}:${key}`, requestTimeoutMs }));

  it('holds the limit across limiters: no window holds more than `limit` starts of all of them together', async () => {
    const all = limiters('burst', 5, 400);
    const start = Date.now();
    const times: number[] = [];
    await Promise.all(
      all.flatMap((l) =>
        Array.from({ length: 5 }, async () => {
          const release = await l.acquire();
          times.push(Date.now() - start);
          release();
        }),
      ),
    );
    times.sort((a, b) => a - b);
    expect(times).toHaveLength(15);
    // 15 requests at 5 per 400 ms: the last one starts two windows in, and no window holds more than 5.
    expect(times[14]).toBeGreaterThanOrEqual(790);
    expect(busiest(times, 395)).toBeLessThanOrEqual(5);
    // One limiter per process would have let all 15 through at once.
    expect(times.filter((t) => t < 300).length).toBe(5);
  });

  it('counts a request in flight in any process until it finishes, then for a whole window', async () => {
    const [a, b] = limiters('inflight', 1, 150);
    const release = await a!.acquire();
    let second = false;
    const next = b!.acquire().then((r) => {
      second = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(second).toBe(false);
    const releasedAt = Date.now();
    release();
    (await next)();
    expect(Date.now() - releasedAt).toBeGreaterThanOrEqual(140);
  });

  it("holding from the send: a slot frees a window after its request started, however long the request takes, and no window holds more than `limit` starts", async () => {
    const all = conns.map((c) => new SharedRequestLimiter({ limit: 2, windowMs: 200, redis: () => c, key: `${prefix}:send`, requestTimeoutMs: 5000, holdFrom: 'send', sendMarginMs: 10 }));
    const start = Date.now();
    const times: number[] = [];
    // Each request takes 150 ms: counted from its response, 6 requests at 2 per 200 ms would take about 3 × 350 ms.
    await Promise.all(
      all.flatMap((l) =>
        Array.from({ length: 2 }, async () => {
          const release = await l.acquire();
          times.push(Date.now() - start);
          await new Promise((r) => setTimeout(r, 150));
          release();
        }),
      ),
    );
    times.sort((a, b) => a - b);
    expect(times).toHaveLength(6);
    expect(busiest(times, 205)).toBeLessThanOrEqual(2);
    expect(times[4]).toBeGreaterThanOrEqual(400);
    // The slot's free time is set at the send and left alone by the response: a window (and the margin) after the send.
    const [one] = all;
    const before = await redisMs(conns[0]!);
    const release = await one!.acquire();
    const [, score] = await conns[0]!.zrange(`${prefix}:send`, -1, -1, 'WITHSCORES');
    release();
    const [, after] = await conns[0]!.zrange(`${prefix}:send`, -1, -1, 'WITHSCORES');
    expect(Number(score) - before).toBeLessThanOrEqual(200 + 10 + 1000); // not the request timeout (5 s) on top
    expect(Number(score) - before).toBeGreaterThanOrEqual(210);
    expect(after).toBe(score);
  });

  it("a process that dies mid-request frees its slot after the request timeout and the window", async () => {
    const [a, b] = limiters('dead', 1, 100, 300);
    await a!.acquire(); // never released: its process "died"
    const t = Date.now();
    (await b!.acquire())();
    expect(Date.now() - t).toBeGreaterThanOrEqual(350);
    expect(Date.now() - t).toBeLessThan(2000);
  });

  it("a 429's pause in one process holds back the others", async () => {
    const [a, b] = limiters('pause', 100, 1000);
    a!.pauseFor(250);
    await new Promise((r) => setTimeout(r, 20)); // the pause is written without waiting for it
    const t = Date.now();
    (await b!.acquire())();
    expect(Date.now() - t).toBeGreaterThanOrEqual(200);
  });

  it('weighs a request by its cost: no window holds more units than the limit, across limiters', async () => {
    const all = limiters('weighted', 10, 300);
    const start = Date.now();
    const starts: { at: number; cost: number }[] = [];
    await Promise.all(
      all.flatMap((l) =>
        [5, 2, 5].map(async (cost) => {
          const release = await l.acquire(cost);
          starts.push({ at: Date.now() - start, cost });
          release();
        }),
      ),
    );
    expect(starts).toHaveLength(9);
    const unitsIn = (from: number) => starts.filter((s) => s.at >= from && s.at < from + 295).reduce((n, s) => n + s.cost, 0);
    expect(Math.max(...starts.map((s) => unitsIn(s.at)))).toBeLessThanOrEqual(10);
    // 36 units at 10 per window: at least three windows after the first start.
    expect(Math.max(...starts.map((s) => s.at))).toBeGreaterThanOrEqual(3 * 290);
  });

  it('refuses a cost the budget can never hold', async () => {
    const [a] = limiters('too-big', 10, 300);
    await expect(a!.acquire(11)).rejects.toThrow(RangeError);
  });
});
