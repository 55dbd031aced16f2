import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { stepJobId } from '../../../src/flows/compile-flow.js';
import { startSyncRun } from '../../../src/flows/start-run.js';
import { createRedis } from '../../../src/redis/connection.js';
import { loadKithConfig } from '../../../src/sync/kith-config.js';
import { sourceQueue } from '../../../src/sync/pipeline-queues.js';
import { getStep } from '../../../src/sync/run.store.js';
import { spawnKith } from '../../support/cli.js';
import { cleanupRedis, freshDb, redisUrl, type TestDb, uniquePrefix } from '../../support/test-env.js';

/** Bound: the lock expires at most LOCK_MS after the kill, the next check comes within LOCK_MS / 4; the rest is scheduling slack on a busy machine. */
const LOCK_MS = 4000;
const examples = resolve(import.meta.dirname, '../../../examples/kith.config.yaml');

async function until<T>(what: string, withinMs: number, probe: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * `kith start` serving a source queue is SIGKILLed while a collection is active; another
 * `kith start` already serves the queue. With KITH_JOB_LOCK_MS the job runs again within about
 * 1.25 × that lock (its lock expires, then the next stalled check, every quarter of the lock,
 * takes it back), not after the queue's own 10-minute lock.
 */
describe('a kith process killed mid-job', () => {
  let t: TestDb | undefined;
  let prefix = '';
  const cleanups: Array<() => Promise<unknown>> = [];

  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
    await t?.dispose();
    t = undefined;
    await cleanupRedis(prefix);
  });

  it(`its job runs again in another process within 1.5 × KITH_JOB_LOCK_MS (${LOCK_MS} ms)`, async () => {
    t = await freshDb('postgres');
    prefix = uniquePrefix();
    const config = loadKithConfig(examples);
    const run = await startSyncRun({ db: t.db, redisUrl: redisUrl(), prefix, config: { ...config, sources: config.sources.filter((s) => s.type === 'mbox') }, kind: 'test' });

    // The collection waits for this row lock when it records its start: the job stays active
    // (its worker's event loop is free, so its lock is renewed) for as long as the test holds it.
    const holder = new pg.Client({ connectionString: t.url });
    await holder.connect();
    let holding = true;
    cleanups.push(async () => {
      if (holding) await holder.query('ROLLBACK');
      await holder.end();
    });
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM sync_run_steps WHERE run_id = $1 AND step_id = 'collect:mbox' FOR UPDATE`, [run.runId]);

    const conn = createRedis(redisUrl(), { name: `kith:${prefix}:test` });
    const queue = new Queue(sourceQueue('mbox'), { connection: conn, prefix });
    cleanups.push(async () => {
      await queue.close();
      await conn.quit();
    });
    const jobId = stepJobId(run.runId, 'collect:mbox');
    const timesStarted = async () => (await queue.getJob(jobId))?.attemptsStarted ?? 0;

    const dirs: string[] = [];
    const start = async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kith-lock-'));
      dirs.push(dir);
      const env = {
        DATABASE_URL: t!.url,
        REDIS_URL: redisUrl(),
        KITH_QUEUE_PREFIX: prefix,
        KITH_DATA_DIR: dir,
        KITH_CONFIG: examples,
        KITH_PORT: '0',
        KITH_JOB_LOCK_MS: String(LOCK_MS),
        KITH_SHUTDOWN_GRACE_MS: '1000',
      };
      const p = spawnKith(['start', '--queues', sourceQueue('mbox')], env, 'Press Ctrl-C to stop.');
      cleanups.push(async () => {
        if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
        await p.exited;
      });
      await p.started;
      return p;
    };
    cleanups.push(async () => {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    const first = await start();
    await until('the first process takes the job', 20_000, async () => (await timesStarted()) === 1 && (await queue.getJob(jobId))!.getState().then((s) => s === 'active'));
    await start();
    expect(await timesStarted()).toBe(1); // the second process waits: the job is locked

    first.child.kill('SIGKILL');
    await first.exited;
    const died = Date.now();
    await until('the job runs again in the second process', 3 * LOCK_MS, async () => (await timesStarted()) === 2);
    const recoveredMs = Date.now() - died;
    expect(recoveredMs).toBeLessThan(1.5 * LOCK_MS);

    // Let the collection through: the second process finishes it, nothing lost.
    await holder.query('ROLLBACK');
    holding = false;
    await until('the collection finishes', 20_000, async () => (await getStep(t!.db, run.runId, 'collect:mbox'))?.status === 'succeeded');
  }, 90_000);
});
