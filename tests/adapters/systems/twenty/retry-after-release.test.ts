import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue, QueueEvents } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRedis, type RedisClient } from '../../../../src/redis/connection.js';
import { SharedRequestLimiter } from '../../../../src/systems/limits/shared-request-limiter.js';
import { TwentyClient } from '../../../../src/systems/twenty/twenty-client.js';
import { defineHandler } from '../../../../src/workers/job-handler.js';
import { startWorkerHost } from '../../../../src/workers/worker-host.js';
import { cleanupRedis, redisUrl, testLog, uniquePrefix } from '../../../support/test-env.js';

const QUEUE = 'twenty-writes';
const LOCK_MS = 800;
const RETRY_AFTER_S = 3;

/**
 * A Twenty that answers its first request 429 with a Retry-After longer than the jobs' lock,
 * then 404 (an absent person: the job completes). The other jobs, already running, find the
 * client's budget paused: they must give their worker and lock back, not sleep in the handler.
 */
describe("Twenty's Retry-After longer than a job's lock", () => {
  const closers: Array<() => Promise<unknown>> = [];
  let prefix = '';
  afterEach(async () => {
    while (closers.length) await closers.pop()!();
    await cleanupRedis(prefix);
  });

  it('releases the jobs waiting on the pause (none stays active, none stalls), then runs them all', async () => {
    prefix = uniquePrefix();
    let requests = 0;
    const server: Server = createServer((req, res) => {
      requests++;
      req.resume();
      req.on('end', () => {
        if (requests === 1) res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(RETRY_AFTER_S) }).end('{"message":"slow down"}');
        else res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not found"}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => server.close(r)));
    const redis: RedisClient = createRedis(redisUrl(), { name: `kith:${prefix}:limiter` });
    closers.push(() => redis.quit());
    const limiter = new SharedRequestLimiter({ limit: 1000, windowMs: 1000, redis: () => redis, key: `${prefix}:twenty:limiter`, requestTimeoutMs: 5000 });
    const client = new TwentyClient({ apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, apiKey: 'k', limiter, timeoutMs: 5000 });
    closers.push(() => client.close());

    // The first job holds the only request for a moment, so the others queue behind it in the limiter.
    let first = true;
    const handler = defineHandler({
      queue: QUEUE,
      schema: z.object({ id: z.string() }),
      handle: async (data) => {
        if (first) {
          first = false;
          return { found: Boolean(await client.getPerson(data.id)) };
        }
        await new Promise((r) => setTimeout(r, 100));
        return { found: Boolean(await client.getPerson(data.id)) };
      },
    });
    const conn = createRedis(redisUrl(), { name: `kith:${prefix}:queue` });
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
    let stalled = 0;
    events.on('stalled', () => stalled++);
    const host = await startWorkerHost({ redisUrl: redisUrl(), prefix, handlers: [handler], concurrency: 4, lockDurationMs: LOCK_MS, log: testLog });
    closers.push(() => host.close(2000));

    const jobs = await queue.addBulk(['a', 'b', 'c', 'd'].map((id) => ({ name: 'push', data: { id }, opts: { attempts: 8, backoff: { type: 'fixed', delay: 50 } } })));
    const started = Date.now();
    // Mid-pause, well past the lock: no job may still be running (sleeping out the Retry-After).
    await new Promise((r) => setTimeout(r, (RETRY_AFTER_S * 1000) / 2));
    expect(requests).toBe(1);
    expect(await queue.getActiveCount()).toBe(0);

    const results = await Promise.all(jobs.map((j) => j.waitUntilFinished(events, 15_000)));
    expect(results).toEqual(jobs.map(() => ({ found: false })));
    // Nothing was sent before the pause ended, and no job's lock lapsed.
    expect(Date.now() - started).toBeGreaterThanOrEqual(RETRY_AFTER_S * 1000 - 200);
    expect(requests).toBe(5);
    expect(stalled).toBe(0);
  });
});
