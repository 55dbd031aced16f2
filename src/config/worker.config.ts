import { z } from 'zod';
import { WORKER_GROUP_NAME } from '../queues/queue-registry.js';
import { type Env, parseEnv, wholeNumber } from './parse-env.js';

export const workerSchema = z.object({
  KITH_WORKER_QUEUES: z.string().optional(),
  /** The worker group of this host (`kith worker --group`): its workers serve the group's source queues. */
  KITH_WORKER_GROUP: z.string().regex(WORKER_GROUP_NAME, 'must be a worker group name: lowercase letters, digits and dashes').optional(),
  KITH_WORKER_CONCURRENCY: wholeNumber(1, 1000).optional(),
  KITH_SHUTDOWN_GRACE_MS: wholeNumber(0, 3_600_000).default(10_000),
  /** How long a job's lock lives without renewal: a killed worker's jobs run again within about 1.25 × this. */
  KITH_JOB_LOCK_MS: wholeNumber(1000, 600_000).optional(),
  /**
   * V8 old-space limit of the worker processes `kith sync` spawns. Without it V8
   * lets garbage pile up to a large share of RAM before collecting: a 1M-interaction mbox worker
   * peaked at 558 MB, and 336 MB with this cap.
   */
  KITH_WORKER_HEAP_MB: wholeNumber(64, 65_536).default(384),
});

export interface WorkerConfig {
  /** Queue names this process serves; undefined = every queue. */
  queues?: string[];
  /** This host's worker group (KITH_WORKER_GROUP). */
  group?: string;
  concurrency?: number;
  shutdownGraceMs: number;
  /** Overrides every queue's lock when set; otherwise BullMQ's 30 s, or the queue's own (long sync steps). */
  lockDurationMs?: number;
}

export function splitList(v: string | undefined): string[] | undefined {
  if (!v) return undefined;
  const items = v.split(',').map((s) => s.trim()).filter(Boolean);
  return items.length ? items : undefined;
}

/** Node flags for a spawned worker process (the heap limit above). */
export function workerNodeFlags(env: Env = process.env): string[] {
  const c = parseEnv(workerSchema.pick({ KITH_WORKER_HEAP_MB: true }), env);
  // A small old space also shrinks V8's young generation (more scavenges, more promotion): keep it at the 64-bit default.
  return [`--max-old-space-size=${c.KITH_WORKER_HEAP_MB}`, '--max-semi-space-size=16'];
}

export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  const c = parseEnv(workerSchema, env);
  return { queues: splitList(c.KITH_WORKER_QUEUES), group: c.KITH_WORKER_GROUP, concurrency: c.KITH_WORKER_CONCURRENCY, shutdownGraceMs: c.KITH_SHUTDOWN_GRACE_MS, lockDurationMs: c.KITH_JOB_LOCK_MS };
}
