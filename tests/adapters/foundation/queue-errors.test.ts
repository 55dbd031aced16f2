import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openHub } from '../../../src/app/open-hub.js';
import { buildHttpServer } from '../../../src/http/server.js';
import { allQueues } from '../../../src/queues/queue-registry.js';
import { createRedis } from '../../../src/redis/connection.js';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../../src/redis/embedded-redis.js';
import { freePort } from '../../../src/redis/free-port.js';
import { openQueueEvents } from '../../../src/redis/queue-objects.js';
import { freshDb, uniquePrefix } from '../../support/test-env.js';

const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  vi.restoreAllMocks();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `check` passes (bounded). */
async function eventually(check: () => Promise<unknown>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > end) throw new Error(`${what}: ${(err as Error).message}`);
      await sleep(100);
    }
  }
}

describe('BullMQ objects during a Redis outage', () => {
  it('Queue, FlowProducer and QueueEvents log one line per connection and outage: no stack trace, no unhandled error event', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kith-outage-redis-'));
    stops.push(async () => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    const start = () => startEmbeddedRedis({ dir, port, supervise: false, unixSocket: false, extraArgs: ['--appendonly', 'no'] });
    let server: EmbeddedRedis = await start();
    stops.push(() => server.stop());
    const url = server.url;

    // What reaches stderr other than through the log, and what escapes as an uncaught error.
    const stderr: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void stderr.push(a.map((x) => (x instanceof Error ? (x.stack ?? x.message) : String(x))).join(' ')));
    vi.spyOn(console, 'warn').mockImplementation((...a: unknown[]) => void stderr.push(a.map(String).join(' ')));
    const write = process.stderr.write.bind(process.stderr);
    vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
      stderr.push(String(chunk));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stderr.write);
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
    stops.push(async () => {
      process.off('uncaughtException', onUncaught);
      process.off('unhandledRejection', onUncaught);
    });
    const lines: { msg: string }[] = [];
    const log = pino({ level: 'warn' }, { write: (s: string) => void lines.push(JSON.parse(s) as { msg: string }) });

    // Through Kith's own code paths: the hub's producers (a Queue and the FlowProducer on its
    // connection), the HTTP server's queues (on another), and a QueueEvents on a third.
    const prefix = uniquePrefix();
    const db = await freshDb('sqlite');
    stops.push(() => db.dispose());
    const hub = await openHub({ db: db.db, redisUrl: url, prefix, log, env: {} });
    stops.push(() => hub.close());
    const http = await buildHttpServer({ redisUrl: url, prefix, db: db.db, queues: allQueues(), log });
    stops.push(() => http.close());
    const eventsConn = createRedis(url, { name: 'queue-events-test' });
    stops.push(async () => eventsConn.disconnect());
    const events = openQueueEvents('contacts-inbound', { connection: eventsConn, prefix }, log);
    stops.push(() => events.close());
    await hub.queue('contacts-inbound').waitUntilReady();
    await hub.flow.waitUntilReady();
    await http.queues.get('contacts-inbound')!.waitUntilReady();
    await events.waitUntilReady();
    // Cleaned up first: should the test fail during an outage, Redis comes back so everything can close.
    let down = false;
    stops.push(async () => {
      if (down) server = await start();
    });

    const outageLines = () => lines.filter((l) => /is unreachable/.test(l.msg));
    for (const round of [1, 2]) {
      await server.stop();
      down = true;
      // Several reconnect attempts (200, 400, 600 … ms apart), each an 'error' on every object.
      await sleep(2_500);
      expect(stderr.filter((s) => /ECONNREFUSED|\n\s+at /.test(s))).toEqual([]);
      expect(uncaught).toEqual([]);
      // One line per connection: the hub's, the HTTP server's queues', the QueueEvents'.
      expect(outageLines().length, JSON.stringify(outageLines())).toBe(3 * round);
      expect(outageLines().at(-1)!.msg).toMatch(new RegExp(`Redis at 127\\.0\\.0\\.1:${port} is unreachable \\(.*ECONNREFUSED.*\\); retrying until it is back`));
      server = await start();
      down = false;
      await eventually(() => hub.queue('contacts-inbound').count(), 'the hub queue reconnects');
      await eventually(() => http.queues.get('contacts-inbound')!.count(), 'the HTTP queues reconnect');
      await eventually(async () => expect(eventsConn.status).toBe('ready'), 'the QueueEvents connection reconnects');
    }
    expect(stderr.filter((s) => /ECONNREFUSED|\n\s+at /.test(s))).toEqual([]);
    expect(uncaught).toEqual([]);
  }, 60_000);

  it('every Queue, FlowProducer and QueueEvents in src/ is made by src/redis/queue-objects.ts, which gives it its error listener', () => {
    const src = resolve(import.meta.dirname, '../../../src');
    const made: string[] = [];
    for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
      const path = join(entry.parentPath, entry.name);
      const rel = relative(src, path);
      if (rel === join('redis', 'queue-objects.ts')) continue;
      readFileSync(path, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/new (Queue|FlowProducer|QueueEvents)\b/.test(line)) made.push(`${rel}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(made).toEqual([]);
  });
});
