import { afterEach, describe, expect, it } from 'vitest';
import { JobMetricsRecorder, readJobMetrics } from '../../../src/queues/job-metrics.js';
import { connectRedis, createRedis } from '../../../src/redis/connection.js';
import { redisUrl, uniquePrefix } from '../../support/test-env.js';

describe('JobMetricsRecorder', () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  });

  it('sums outcomes in memory and adds them to the shared hash on flush, on top of what other processes added', async () => {
    const redis = createRedis(redisUrl(), { name: 'test-metrics' });
    closers.push(() => redis.quit());
    const prefix = uniquePrefix();
    const a = new JobMetricsRecorder(redis, prefix, 0);
    const b = new JobMetricsRecorder(redis, prefix, 0);
    a.record('q', 'completed', 0.004);
    a.record('q', 'completed', 0.02);
    a.record('q', 'retried', 0.5);
    b.record('q', 'failed', 7);
    expect((await readJobMetrics(redis, prefix)).size).toBe(0); // nothing sent before a flush
    await Promise.all([a.flush(), b.flush()]);
    await a.flush(); // nothing new: adds nothing
    const m = (await readJobMetrics(redis, prefix)).get('q')!;
    expect(m.outcomes).toEqual({ completed: 2, retried: 1, failed: 1 });
    expect(m.count).toBe(3);
    expect(m.sum).toBeCloseTo(7.024, 6);
    expect(m.buckets).toEqual({ '0.005': 1, '0.025': 1, '10': 1 });
  });

  it('keeps what a failed flush could not send and adds it with the next one', async () => {
    // No offline queue: while disconnected, the flush's commands fail at once.
    const redis = connectRedis(redisUrl(), { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true });
    closers.push(async () => redis.disconnect());
    await redis.connect();
    const prefix = uniquePrefix();
    const r = new JobMetricsRecorder(redis, prefix, 0);
    r.record('q', 'completed', 0.001);
    const ended = new Promise((res) => redis.once('end', res));
    redis.disconnect();
    await ended;
    await expect(r.flush()).rejects.toThrow();
    r.record('q', 'completed', 0.001);
    await redis.connect();
    await r.flush();
    expect((await readJobMetrics(redis, prefix)).get('q')?.outcomes.completed).toBe(2);
  });

  it('flushes by itself every interval and on close', async () => {
    const redis = createRedis(redisUrl(), { name: 'test-metrics-timer' });
    closers.push(() => redis.quit());
    const prefix = uniquePrefix();
    const r = new JobMetricsRecorder(redis, prefix, 50);
    r.record('q', 'completed', 0.001);
    for (let i = 0; i < 100 && !(await readJobMetrics(redis, prefix)).size; i++) await new Promise((res) => setTimeout(res, 10));
    expect((await readJobMetrics(redis, prefix)).get('q')?.count).toBe(1);
    r.record('q', 'rate_limited', 0.001);
    await r.close();
    expect((await readJobMetrics(redis, prefix)).get('q')?.outcomes).toEqual({ completed: 1, rate_limited: 1 });
  });
});
