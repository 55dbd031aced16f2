import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildHttpServer, type HttpServer } from '../../../src/http/server.js';
import { DURATION_BUCKETS } from '../../../src/queues/job-metrics.js';
import type { QueueSpec } from '../../../src/queues/queue-registry.js';
import { type EmbeddedRedis, startEmbeddedRedis } from '../../../src/redis/embedded-redis.js';
import { defineHandler } from '../../../src/workers/job-handler.js';
import { startWorkerHost } from '../../../src/workers/worker-host.js';
import { cleanupRedis, freshDb, redisUrl, type TestDb, testLog, uniquePrefix } from '../../support/test-env.js';

const specs: QueueSpec[] = [{ name: 'maintenance', group: 'system', description: 'test', concurrency: 1 }];
const admin = { user: 'ops', password: 'correct horse battery' };
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

describe('HTTP server', () => {
  let server: HttpServer | undefined;
  let tdb: TestDb | undefined;
  let own: EmbeddedRedis | undefined;
  let dir: string | undefined;
  let prefix = '';

  afterEach(async () => {
    await server?.close();
    await tdb?.dispose();
    await own?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await cleanupRedis(prefix);
    server = tdb = own = dir = undefined;
  });

  async function start(url = redisUrl()) {
    prefix = uniquePrefix();
    tdb = await freshDb('sqlite');
    server = await buildHttpServer({ redisUrl: url, prefix, db: tdb.db, queues: specs, admin, log: testLog });
    return server;
  }

  it('GET /health reports the sync status and turns 503 when Redis stops', async () => {
    dir = mkdtempSync(join(tmpdir(), 'kith-health-redis-'));
    own = await startEmbeddedRedis({ dir, supervise: false });
    const s = await start(own.url);
    await tdb!.db.run(`INSERT INTO sync_runs (id, kind, status, started_at, finished_at) VALUES ('r1', 'daily', 'succeeded', ?, ?)`, [Date.now() - 90_000, Date.now()]);
    const ok = await s.app.inject({ method: 'GET', url: '/health' });
    expect(ok.statusCode).toBe(200);
    const body = ok.json();
    expect(body).toMatchObject({
      status: 'healthy',
      sync_status: { sync_in_progress: false, last_sync_duration_seconds: 90 },
      stats: { total_syncs_24h: 1, success_rate: '100.0%' },
      redis: { reachable: true },
      database: { reachable: true, engine: 'sqlite' },
      search: { chunks: 0, vector: 'off', message: 'vector search off: no KITH_EMBEDDINGS_URL' },
    });
    expect(Date.parse(body.sync_status.last_sync_end)).not.toBeNaN();
    await own.stop();
    const down = await s.app.inject({ method: 'GET', url: '/health' });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ status: 'unhealthy', redis: { reachable: false }, database: { reachable: true } });
  });

  it('Bull Board refuses a missing or wrong password and serves the right one', async () => {
    const s = await start();
    expect((await s.app.inject({ url: '/admin/queues' })).statusCode).toBe(401);
    const wrong = await s.app.inject({ url: '/admin/queues', headers: { authorization: basic('ops', 'wrong password!') } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic realm=/);
    expect((await s.app.inject({ url: '/admin/queues/api/queues', headers: { authorization: basic('ops', 'wrong password!') } })).statusCode).toBe(401);
    const right = await s.app.inject({ url: '/admin/queues', headers: { authorization: basic(admin.user, admin.password) } });
    expect(right.statusCode).toBe(200);
    expect(right.body).toContain('<title>Kith queues</title>');
    const api = await s.app.inject({ url: '/admin/queues/api/queues?activeQueue=maintenance', headers: { authorization: basic(admin.user, admin.password) } });
    expect(api.json().queues.map((q: { name: string }) => q.name)).toEqual(['maintenance']);
    // The search API sits behind the same credentials.
    expect((await s.app.inject({ url: '/api/search?q=x' })).statusCode).toBe(401);
    const search = await s.app.inject({ url: '/api/search?q=x', headers: { authorization: basic(admin.user, admin.password) } });
    expect(search.json()).toEqual({ mode: 'bm25', hits: [] });
  });

  it('GET /metrics reports queue depths and job outcomes from every worker process', async () => {
    const s = await start();
    const host = await startWorkerHost({
      redisUrl: redisUrl(),
      prefix,
      handlers: [defineHandler({ queue: 'maintenance', schema: z.object({ task: z.string() }), handle: async () => 'ok' })],
      log: testLog,
    });
    const q = s.queues.get('maintenance')!;
    await q.add('a', { task: 'x' });
    await q.add('b', { task: 'x' });
    while ((await q.getCompletedCount()) < 2) await new Promise((r) => setTimeout(r, 10));
    await host.close();
    await q.add('c', { task: 'x' });
    const text = (await s.app.inject({ url: '/metrics' })).body;
    expect(text).toContain('kith_queue_jobs{queue="maintenance",state="waiting"} 1');
    expect(text).toContain('kith_queue_jobs{queue="maintenance",state="completed"} 2');
    expect(text).toContain('kith_jobs_total{queue="maintenance",outcome="completed"} 2');
    expect(text).toContain('# TYPE kith_jobs_total counter');
    expect(text).toContain('# TYPE kith_job_duration_seconds histogram');
    expect(text).toContain('kith_job_duration_seconds_count{queue="maintenance"} 2');
    expect(text).toMatch(/kith_job_duration_seconds_bucket\{le="\+Inf",queue="maintenance"\} 2/);
    // Cumulative buckets: each at least the one before, the largest bound holding both jobs.
    const buckets = [...text.matchAll(/kith_job_duration_seconds_bucket\{le="([^"]+)",queue="maintenance"\} (\d+)/g)].map((m) => [m[1], Number(m[2])] as const);
    expect(buckets.map(([le]) => le)).toEqual([...DURATION_BUCKETS.map(String), '+Inf']);
    expect(buckets.every(([, n], i) => i === 0 || n >= buckets[i - 1]![1])).toBe(true);
    expect(buckets.at(-2)![1]).toBe(2);
    expect(Number(/kith_job_duration_seconds_sum\{queue="maintenance"\} (\S+)/.exec(text)![1])).toBeGreaterThan(0);
    // The process's default metrics carry the prefix once.
    expect(text).toContain('kith_nodejs_version_info');
    expect(text).toMatch(/^kith_process_cpu_user_seconds_total \d/m);
    expect(text).not.toContain('kith_process_process_');
    expect(text).not.toContain('kith_process_nodejs_');
    // A second scrape reads the state again and does not add to it.
    await q.add('d', { task: 'x' });
    const again = (await s.app.inject({ url: '/metrics' })).body;
    expect(again).toContain('kith_queue_jobs{queue="maintenance",state="waiting"} 2');
    expect(again).toContain('kith_jobs_total{queue="maintenance",outcome="completed"} 2');
    expect(again).toContain('kith_job_duration_seconds_count{queue="maintenance"} 2');
  });
});
