import { randomBytes } from 'node:crypto';
import type { Db } from '../db/db.js';
import { createRedis } from '../redis/connection.js';
import { openFlowProducer, openQueue } from '../redis/queue-objects.js';
import type { KithConfig } from '../sync/kith-config.js';
import { createRun } from '../sync/run.store.js';
import { compileFlow } from './compile-flow.js';
import { PIPELINE_QUEUE } from '../sync/pipeline-queues.js';
import { buildSyncDag, type DagStep } from './sync-dag.js';

export const runLockKey = (prefix: string) => `${prefix}:kith:sync-run-lock`;
const LOCK_TTL_MS = 6 * 3600 * 1000;
/**
 * A lock younger than this whose run is not fully recorded and enqueued yet belongs to a
 * starter still at work; an older one was left by a starter that died in between.
 */
const ENQUEUE_GRACE_MS = 15_000;

export interface StartRunOptions {
  db: Db;
  redisUrl: string;
  prefix: string;
  config: KithConfig;
  /** Restrict phase 1/5 to these source types (phases 2–4 always run). */
  only?: readonly string[];
  /** Ignore stored cursors: re-read every file from the start (idempotent either way). */
  full?: boolean;
  kind?: string;
}

export interface StartedRun {
  runId: string;
  /** True when a run was already in progress and this call joined it instead of starting one. */
  existing: boolean;
  steps: DagStep[];
}

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return `run-${stamp}-${randomBytes(2).toString('hex')}`;
}

/**
 * Enqueue one run of the phase DAG, unless one is in progress (deduplicated at enqueue by a
 * Redis lock whose value is the running run's id; a lock whose run has finished is stale).
 */
export async function startSyncRun(opts: StartRunOptions): Promise<StartedRun> {
  const sources = opts.only?.length ? opts.config.sources.filter((s) => opts.only!.includes(s.type) || opts.only!.includes(s.id)) : opts.config.sources;
  if (opts.only?.length && !sources.length) {
    throw new Error(`--only ${opts.only.join(',')} matches no configured source (configured: ${opts.config.sources.map((s) => s.type).join(', ') || 'none'})`);
  }
  const steps = buildSyncDag(sources);
  const redis = createRedis(opts.redisUrl, { name: `kith:${opts.prefix}:run-starter` });
  try {
    const runId = newRunId();
    const deadline = Date.now() + ENQUEUE_GRACE_MS;
    for (let i = 0; i < 3; ) {
      const ok = await redis.set(runLockKey(opts.prefix), runId, 'PX', LOCK_TTL_MS, 'NX');
      if (ok) break;
      const holder = await redis.get(runLockKey(opts.prefix));
      if (!holder) continue;
      const live = await runIsLive(opts, holder);
      if (live === 'live') return { runId: holder, existing: true, steps: [] };
      if (live === 'enqueuing') {
        // Taken a moment ago by a process still recording its run: wait for it, never take over.
        const age = LOCK_TTL_MS - (await redis.pttl(runLockKey(opts.prefix)));
        if (age < ENQUEUE_GRACE_MS && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
      }
      await redis.eval(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`, 1, runLockKey(opts.prefix), holder);
      i++;
    }
    await createRun(opts.db, runId, opts.kind ?? 'daily', steps, { config: opts.config, full: Boolean(opts.full) });
    const flow = openFlowProducer({ connection: redis, prefix: opts.prefix });
    try {
      await flow.add(compileFlow(runId, steps));
    } finally {
      await flow.close();
    }
    return { runId, existing: false, steps };
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

/**
 * The state of the run a lock names: `live` (recorded, running, its root job still to finish),
 * `enqueuing` (not recorded yet: the process that took the lock is still writing it) or `over`.
 */
async function runIsLive(opts: StartRunOptions, runId: string): Promise<'live' | 'enqueuing' | 'over'> {
  const row = await opts.db.get<{ status: string }>('SELECT status FROM sync_runs WHERE id = ?', [runId]);
  if (!row) return 'enqueuing';
  if (row.status !== 'running') return 'over';
  const conn = createRedis(opts.redisUrl, { name: `kith:${opts.prefix}:run-check` });
  const q = openQueue(PIPELINE_QUEUE.run, { connection: conn, prefix: opts.prefix });
  try {
    const job = await q.getJob(runId);
    // Recorded but its flow not added yet: the starter is still enqueuing it.
    if (!job) return 'enqueuing';
    const state = await job.getState();
    return state !== 'completed' && state !== 'failed' && state !== 'unknown' ? 'live' : 'over';
  } finally {
    await q.close();
    await conn.quit().catch(() => conn.disconnect());
  }
}

export async function releaseRunLock(redisUrl: string, prefix: string, runId: string): Promise<void> {
  const redis = createRedis(redisUrl, { name: `kith:${prefix}:run-finisher` });
  try {
    await redis.eval(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`, 1, runLockKey(prefix), runId);
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}
