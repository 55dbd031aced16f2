import { Queue, QueueEvents, Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FatalError, RateLimitedError, TemporaryError } from '../../../src/errors.js';
import { createRedis } from '../../../src/redis/connection.js';
import { defineHandler, type JobHandler } from '../../../src/workers/job-handler.js';
import { DEFAULT_LOCK_MS, lockOptions, startWorkerHost, type WorkerHost } from '../../../src/workers/worker-host.js';
import { cleanupRedis, redisUrl, testLog, uniquePrefix } from '../../support/test-env.js';

const QUEUE = 'test-jobs';
const schema = z.object({ n: z.number() });

describe('worker host', () => {
  let prefix = '';
  const closers: Array<() => Promise<unknown>> = [];

  async function setup(handle: JobHandler['handle']) {
    prefix = uniquePrefix();
    const conn = createRedis(redisUrl(), { name: `kith:${prefix}:test` });
    const queue = new Queue(QUEUE, { connection: conn, prefix });
    const eventsConn = createRedis(redisUrl(), { name: `kith:${prefix}:events` });
    const events = new QueueEvents(QUEUE, { connection: eventsConn, prefix });
    await events.waitUntilReady();
    const host = await startWorkerHost({ redisUrl: redisUrl(), prefix, handlers: [defineHandler({ queue: QUEUE, schema, handle })], concurrency: 1, log: testLog });
    closers.push(async () => {
      await host.close(1000);
      await queue.close();
      await events.close();
      eventsConn.disconnect();
      await conn.quit();
    });
    return { queue, events, host };
  }

  afterEach(async () => {
    while (closers.length) await closers.pop()!();
    await cleanupRedis(prefix);
  });

  it('retries a temporary error with exponential backoff, then succeeds', async () => {
    let calls = 0;
    const { queue, events } = await setup(async (data) => {
      calls++;
      if (calls < 3) throw new TemporaryError(`flaky ${calls}`);
      return { doubled: (data as { n: number }).n * 2 };
    });
    let delayed = 0;
    events.on('delayed', () => delayed++);
    const job = await queue.add('x', { n: 21 }, { attempts: 5, backoff: { type: 'exponential', delay: 40, jitter: 0.5 } });
    const result = await job.waitUntilFinished(events, 10_000);
    expect(result).toEqual({ doubled: 42 });
    const done = await queue.getJob(job.id!);
    expect(done?.attemptsMade).toBe(3);
    expect(calls).toBe(3);
    expect(delayed).toBe(2); // each retry waited in the delayed set (backoff), none ran at once
  });

  it('does not retry a fatal error', async () => {
    let calls = 0;
    const { queue, events } = await setup(async () => {
      calls++;
      throw new FatalError('the export file is corrupt', 'corrupt');
    });
    const job = await queue.add('x', { n: 1 }, { attempts: 5, backoff: { type: 'fixed', delay: 10 } });
    await expect(job.waitUntilFinished(events, 10_000)).rejects.toThrow(/FatalError \[corrupt\]: the export file is corrupt/);
    expect(calls).toBe(1);
    expect((await queue.getJob(job.id!))?.attemptsMade).toBe(1);
  });

  it('rejects invalid job data without retrying, naming the field', async () => {
    const { queue, events } = await setup(async () => 'never');
    const job = await queue.add('x', { n: 'one' }, { attempts: 5 });
    await expect(job.waitUntilFinished(events, 10_000)).rejects.toThrow(/job data invalid: n: /);
    expect((await queue.getJob(job.id!))?.attemptsMade).toBe(1);
  });

  it('a rate-limited job waits and runs again without using an attempt', async () => {
    let calls = 0;
    const { queue, events } = await setup(async () => {
      calls++;
      if (calls === 1) throw new RateLimitedError('slow down', 100);
      return 'ok';
    });
    const job = await queue.add('x', { n: 1 }, { attempts: 1 });
    expect(await job.waitUntilFinished(events, 10_000)).toBe('ok');
    expect(calls).toBe(2);
  });

  it('graceful shutdown lets an active job finish', async () => {
    let finished = false;
    const { queue, host } = await setup(async () => {
      await new Promise((r) => setTimeout(r, 300));
      finished = true;
      return 'done';
    });
    const job = await queue.add('x', { n: 1 });
    while ((await queue.getActiveCount()) === 0) await new Promise((r) => setTimeout(r, 10));
    await host.close(5000);
    expect(finished).toBe(true);
    expect(await (await queue.getJob(job.id!))!.getState()).toBe('completed');
  });

  it('shutdown past the grace period releases the job to another worker, nothing lost', async () => {
    let runs = 0;
    const { queue, events, host } = await setup(async (_data, { signal }) => {
      runs++;
      if (runs === 1) {
        await new Promise((_, rej) => signal.addEventListener('abort', () => rej(new Error('aborted')), { once: true }));
      }
      return `run ${runs}`;
    });
    const job = await queue.add('x', { n: 1 }, { attempts: 1 });
    while ((await queue.getActiveCount()) === 0) await new Promise((r) => setTimeout(r, 10));
    await host.close(50);
    expect(['delayed', 'waiting']).toContain(await (await queue.getJob(job.id!))!.getState());
    const second: WorkerHost = await startWorkerHost({
      redisUrl: redisUrl(),
      prefix,
      handlers: [defineHandler({ queue: QUEUE, schema, handle: async () => `run ${++runs}` })],
      concurrency: 1,
      log: testLog,
    });
    closers.push(() => second.close(1000));
    expect(await job.waitUntilFinished(events, 10_000)).toBe('run 2');
    expect((await queue.getJob(job.id!))?.attemptsMade).toBe(1);
  });
  it('a job whose lock lapsed while its handler ran, taken again by the same worker, is not failed as stalled twice when the first attempt ends', async () => {
    prefix = uniquePrefix();
    const conn = createRedis(redisUrl(), { name: `kith:${prefix}:test` });
    const queue = new Queue(QUEUE, { connection: conn, prefix });
    const eventsConn = createRedis(redisUrl(), { name: `kith:${prefix}:events` });
    const events = new QueueEvents(QUEUE, { connection: eventsConn, prefix });
    await events.waitUntilReady();
    closers.push(async () => {
      await queue.close();
      await events.close();
      eventsConn.disconnect();
      await conn.quit();
    });
    let runs = 0;
    let secondStarted!: () => void;
    const second = new Promise<void>((r) => (secondStarted = r));
    const host = await startWorkerHost({
      redisUrl: redisUrl(),
      prefix,
      handlers: [
        defineHandler({
          queue: QUEUE,
          schema,
          handle: async (_data, { job }) => {
            const run = ++runs;
            if (run === 1) {
              // The lock lapses (as when renewals come late) while the handler keeps running: the
              // stalled check puts the job back and this worker takes it again in its other slot.
              await conn.del(`${prefix}:${QUEUE}:${job.id}:lock`);
              await second;
              return 'first';
            }
            secondStarted();
            // Longer than two locks after the first attempt ended: its lock must still be renewed.
            await new Promise((r) => setTimeout(r, 3500));
            return 'second';
          },
        }),
      ],
      concurrency: 2,
      lockDurationMs: 1000,
      log: testLog,
    });
    closers.push(() => host.close(5000));
    let stalled = 0;
    events.on('stalled', () => stalled++);
    const job = await queue.add('x', { n: 1 }, { attempts: 3 });
    expect(await job.waitUntilFinished(events, 15_000)).toBe('second');
    expect(runs).toBe(2);
    expect(stalled).toBe(1);
  });

  it("a rate limit longer than the lock: no job is taken while the queue is paused, so none stalls unstarted", async () => {
    prefix = uniquePrefix();
    const conn = createRedis(redisUrl(), { name: `kith:${prefix}:test` });
    const queue = new Queue(QUEUE, { connection: conn, prefix });
    const eventsConn = createRedis(redisUrl(), { name: `kith:${prefix}:events` });
    const events = new QueueEvents(QUEUE, { connection: eventsConn, prefix });
    await events.waitUntilReady();
    closers.push(async () => {
      await queue.close();
      await events.close();
      eventsConn.disconnect();
      await conn.quit();
    });
    const PAUSE = 2500;
    let limitedAt = 0;
    const startedDuringPause: number[] = [];
    const host = await startWorkerHost({
      redisUrl: redisUrl(),
      prefix,
      handlers: [
        defineHandler({
          queue: QUEUE,
          schema,
          handle: async (data) => {
            if (limitedAt && Date.now() < limitedAt + PAUSE - 100) startedDuringPause.push(data.n);
            if (data.n === 1 && !limitedAt) {
              limitedAt = Date.now();
              throw new RateLimitedError('429 from the target', PAUSE);
            }
            // Job 2 is running when job 1 is limited, and ends during the pause.
            if (data.n === 2) await new Promise((r) => setTimeout(r, 300));
            return data.n;
          },
        }),
      ],
      concurrency: 2,
      lockDurationMs: 800,
      log: testLog,
    });
    closers.push(() => host.close(5000));
    let stalled = 0;
    events.on('stalled', () => stalled++);
    const jobs = await queue.addBulk([1, 2, 3, 4].map((n) => ({ name: 'x', data: { n }, opts: { attempts: 3 } })));
    expect(await Promise.all(jobs.map((j) => j.waitUntilFinished(events, 15_000)))).toEqual([1, 2, 3, 4]);
    expect(startedDuringPause.filter((n) => n !== 2)).toEqual([]);
    expect(stalled).toBe(0);
  });

  it('checks for stalled jobs every quarter of the lock, at least every second', () => {
    expect(lockOptions('test-jobs', 8000)).toEqual({ lockDuration: 8000, stalledInterval: 2000, maxStalledCount: 1 });
    expect(lockOptions('test-jobs', 2000)).toMatchObject({ lockDuration: 2000, stalledInterval: 1000 });
    expect(lockOptions('test-jobs')).toMatchObject({ lockDuration: DEFAULT_LOCK_MS, stalledInterval: DEFAULT_LOCK_MS / 4 });
    expect(lockOptions('sync-link')).toMatchObject({ lockDuration: 10 * 60_000, stalledInterval: 150_000 }); // the queue's own lock
  });

  it("a dead worker's job runs again within about 1.25 × the lock, even when its lock expires just after a check", async () => {
    const LOCK = 4000;
    prefix = uniquePrefix();
    const conn = createRedis(redisUrl(), { name: `kith:${prefix}:test` });
    const queue = new Queue(QUEUE, { connection: conn, prefix });
    closers.push(async () => {
      await queue.close();
      await conn.quit();
    });
    // A worker takes the job and dies at once: its lock, just set, expires LOCK ms later.
    const doomedConn = createRedis(redisUrl(), { name: `kith:${prefix}:doomed` });
    let took!: () => void;
    const taken = new Promise<void>((r) => (took = r));
    const doomed = new Worker(QUEUE, async () => {
      took();
      await new Promise(() => undefined);
    }, { connection: doomedConn, prefix, lockDuration: LOCK, skipStalledCheck: true });
    await queue.add('x', { n: 1 }, { attempts: 1 });
    await taken;
    await doomed.close(true);
    doomedConn.disconnect();
    const died = Date.now();
    // The surviving worker's stalled check happens to run shortly before that lock expires:
    // the worst phase, where a check every lock period takes the job back only one period later.
    await new Promise((r) => setTimeout(r, LOCK - 600));
    let ranAgain = 0;
    const host = await startWorkerHost({
      redisUrl: redisUrl(),
      prefix,
      handlers: [defineHandler({ queue: QUEUE, schema, handle: async () => (ranAgain = Date.now()) })],
      concurrency: 1,
      lockDurationMs: LOCK,
      log: testLog,
    });
    closers.push(() => host.close(1000));
    const deadline = died + 3 * LOCK;
    while (!ranAgain && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(ranAgain).toBeGreaterThan(0);
    expect(ranAgain - died).toBeGreaterThan(LOCK - 100); // not before its lock expired
    expect(ranAgain - died).toBeLessThan(1.5 * LOCK);
  }, 30_000);
});
