import { describe, expect, it } from 'vitest';
import { RequestLimiter } from '../../../../src/systems/limits/request-limiter.js';

describe('RequestLimiter', () => {
  it('lets `limit` requests through at once, then waits for the window', async () => {
    const limiter = new RequestLimiter({ limit: 5, windowMs: 300 });
    const start = Date.now();
    const times: number[] = [];
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        const release = await limiter.acquire();
        times.push(Date.now() - start);
        release();
      }),
    );
    times.sort((a, b) => a - b);
    expect(times.slice(0, 5).every((t) => t < 250)).toBe(true);
    expect(times[5]).toBeGreaterThanOrEqual(290);
    expect(times[10]).toBeGreaterThanOrEqual(590);
    // No window of 300 ms holds more than 5 starts.
    for (const [i, t] of times.entries()) expect(times.filter((u) => u >= t && u < t + 299).length, `window from #${i}`).toBeLessThanOrEqual(5);
  });

  it('counts a request in flight until it finishes, then for a whole window', async () => {
    const limiter = new RequestLimiter({ limit: 1, windowMs: 100 });
    const release = await limiter.acquire();
    let second = false;
    const next = limiter.acquire().then((r) => {
      second = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(second).toBe(false);
    const releasedAt = Date.now();
    release();
    (await next)();
    expect(Date.now() - releasedAt).toBeGreaterThanOrEqual(95);
  });

  it('pauses everyone when told to', async () => {
    const limiter = new RequestLimiter({ limit: 100, windowMs: 1000 });
    limiter.pauseFor(150);
    const start = Date.now();
    (await limiter.acquire())();
    expect(Date.now() - start).toBeGreaterThanOrEqual(140);
  });

  it('rejects a nonsensical configuration', () => {
    expect(() => new RequestLimiter({ limit: 0, windowMs: 1 })).toThrow(RangeError);
  });

  it('weighs a request by its cost', async () => {
    const limiter = new RequestLimiter({ limit: 10, windowMs: 200 });
    (await limiter.acquire(5))();
    (await limiter.acquire(4))();
    expect(limiter.used).toBe(9);
    // 9 + 2 units do not fit: the third waits until the first two have left the window.
    (await limiter.acquire(2))();
    expect(limiter.used).toBe(2);
    await expect(limiter.acquire(11)).rejects.toThrow(RangeError);
  });
});
