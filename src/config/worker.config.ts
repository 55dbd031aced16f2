import { z } from 'zod';
import { type Env, parseEnv } from './parse-env.js';

export const workerSchema = z.object({
  KITH_WORKER_QUEUES: z.string().optional(),
  KITH_WORKER_CONCURRENCY: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').optional(),
  KITH_SHUTDOWN_GRACE_MS: z.coerce.number().int('must be a whole number').min(0, 'must be ≥ 0').default(10_000),
});

export interface WorkerConfig {
  /** Queue names this process serves; undefined = every queue. */
  queues?: string[];
  concurrency?: number;
  shutdownGraceMs: number;
}

export function splitList(v: string | undefined): string[] | undefined {
  if (!v) return undefined;
  const items = v.split(',').map((s) => s.trim()).filter(Boolean);
  return items.length ? items : undefined;
}

export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  const c = parseEnv(workerSchema, env);
  return { queues: splitList(c.KITH_WORKER_QUEUES), concurrency: c.KITH_WORKER_CONCURRENCY, shutdownGraceMs: c.KITH_SHUTDOWN_GRACE_MS };
}
