import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { DURATION_BUCKETS, readJobMetrics } from '../../queues/job-metrics.js';

const STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized', 'waiting-children'] as const;

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/**
 * Queue depths and job outcomes/durations in Prometheus text format. Outcomes come from the
 * Redis hash every worker process writes to, so one scrape sees all processes.
 */
export async function renderQueueMetrics(redis: Redis, prefix: string, queues: readonly Queue[]): Promise<string> {
  const lines: string[] = [];
  lines.push('# HELP kith_queue_jobs Jobs per queue and state.', '# TYPE kith_queue_jobs gauge');
  const counts = await Promise.all(queues.map((q) => q.getJobCounts(...STATES)));
  queues.forEach((q, i) => {
    for (const s of STATES) lines.push(`kith_queue_jobs{queue="${esc(q.name)}",state="${s}"} ${counts[i]![s] ?? 0}`);
  });
  const m = await readJobMetrics(redis, prefix);
  lines.push('# HELP kith_jobs_total Jobs finished per queue and outcome, across all worker processes.', '# TYPE kith_jobs_total counter');
  for (const [queue, qm] of m) for (const [outcome, n] of Object.entries(qm.outcomes)) lines.push(`kith_jobs_total{queue="${esc(queue)}",outcome="${outcome}"} ${n}`);
  lines.push('# HELP kith_job_duration_seconds Processing time of completed and failed jobs.', '# TYPE kith_job_duration_seconds histogram');
  for (const [queue, qm] of m) {
    let cum = 0;
    for (const b of DURATION_BUCKETS) {
      cum += qm.buckets[String(b)] ?? 0;
      lines.push(`kith_job_duration_seconds_bucket{queue="${esc(queue)}",le="${b}"} ${cum}`);
    }
    cum += qm.buckets['+Inf'] ?? 0;
    lines.push(`kith_job_duration_seconds_bucket{queue="${esc(queue)}",le="+Inf"} ${cum}`);
    lines.push(`kith_job_duration_seconds_sum{queue="${esc(queue)}"} ${qm.sum}`, `kith_job_duration_seconds_count{queue="${esc(queue)}"} ${qm.count}`);
  }
  return lines.join('\n') + '\n';
}

export interface MetricsExtras {
  /** More exposition text (contact hub per-system gauges, …). */
  more?: Array<() => Promise<string>>;
}

export function registerMetricsRoute(app: FastifyInstance, deps: { redis: Redis; prefix: string; queues: readonly Queue[] } & MetricsExtras): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'kith_process_' });
  app.get('/metrics', async (_req, reply) => {
    const parts = [await renderQueueMetrics(deps.redis, deps.prefix, deps.queues), await registry.metrics()];
    for (const more of deps.more ?? []) parts.push(await more());
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(parts.join('\n'));
  });
}
