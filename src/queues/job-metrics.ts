import type { Redis } from 'ioredis';

/** Histogram buckets for job durations, in seconds. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] as const;

export type Outcome = 'completed' | 'failed' | 'retried' | 'rate_limited' | 'released';

/**
 * Job outcomes and durations, aggregated in one Redis hash so that the HTTP process can
 * export what every worker process did. One pipelined round trip per job.
 */
export function metricsKey(prefix: string): string {
  return `${prefix}:kith:job-metrics`;
}

export async function recordJob(redis: Redis, prefix: string, queue: string, outcome: Outcome, seconds: number): Promise<void> {
  const key = metricsKey(prefix);
  const p = redis.pipeline();
  p.hincrby(key, `${queue}|${outcome}`, 1);
  if (outcome === 'completed' || outcome === 'failed') {
    const bucket = DURATION_BUCKETS.find((b) => seconds <= b);
    p.hincrby(key, `${queue}|le|${bucket ?? '+Inf'}`, 1);
    p.hincrbyfloat(key, `${queue}|sum`, seconds);
    p.hincrby(key, `${queue}|count`, 1);
  }
  await p.exec();
}

export interface QueueJobMetrics {
  outcomes: Partial<Record<Outcome, number>>;
  /** Non-cumulative bucket counts keyed by upper bound ('+Inf' last). */
  buckets: Record<string, number>;
  sum: number;
  count: number;
}

export async function readJobMetrics(redis: Redis, prefix: string): Promise<Map<string, QueueJobMetrics>> {
  const raw = await redis.hgetall(metricsKey(prefix));
  const out = new Map<string, QueueJobMetrics>();
  for (const [field, value] of Object.entries(raw)) {
    const [queue, kind, bound] = field.split('|');
    if (!queue || !kind) continue;
    let m = out.get(queue);
    if (!m) out.set(queue, (m = { outcomes: {}, buckets: {}, sum: 0, count: 0 }));
    if (kind === 'le' && bound) m.buckets[bound] = Number(value);
    else if (kind === 'sum') m.sum = Number(value);
    else if (kind === 'count') m.count = Number(value);
    else m.outcomes[kind as Outcome] = Number(value);
  }
  return out;
}
