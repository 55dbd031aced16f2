import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DURATION_BUCKETS, readJobMetrics } from '../../queues/job-metrics.js';
import type { RedisClient } from '../../redis/connection.js';

const STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized', 'waiting-children'] as const;

/**
 * One load per scrape: the metrics' `collect()` callbacks start together when /metrics is
 * read, and those that need the same state (one Redis hash, one status query) share one read.
 */
export function perScrape<T>(load: () => Promise<T>): () => Promise<T> {
  let inflight: Promise<T> | undefined;
  return () =>
    (inflight ??= load().finally(() => {
      inflight = undefined;
    }));
}

/** A histogram's state as aggregated elsewhere: non-cumulative counts per upper bound ('+Inf' last). */
interface AggregatedHistogram {
  labels: Record<string, string>;
  buckets: Record<string, number>;
  sum: number;
  count: number;
}

/**
 * Replace what a prom-client Histogram exports with buckets counted elsewhere. prom-client only
 * takes single observations, and job durations are already bucketed by every worker process
 * in Redis; this writes the aggregated buckets into the histogram's per-label state, which its
 * own exposition (cumulative buckets, +Inf = count, _sum, _count) then prints.
 */
function setHistogram(h: Histogram<string>, values: readonly AggregatedHistogram[]): void {
  const state = h as unknown as { hashMap: Record<string, { labels: Record<string, string>; bucketValues: Record<string, number>; sum: number; count: number }> };
  h.reset();
  values.forEach((v, i) => {
    const bucketValues = Object.fromEntries(DURATION_BUCKETS.map((b) => [String(b), v.buckets[String(b)] ?? 0]));
    state.hashMap[`aggregated-${i}`] = { labels: v.labels, bucketValues, sum: v.sum, count: v.count };
  });
}

/**
 * Queue depths and job outcomes/durations, read at scrape time. Outcomes and durations come
 * from the Redis hash every worker process writes to, so one scrape sees all processes.
 */
export function registerQueueMetrics(registry: Registry, redis: RedisClient, prefix: string, queues: readonly Queue[]): void {
  const jobs = perScrape(() => readJobMetrics(redis, prefix));
  new Gauge({
    name: 'kith_queue_jobs',
    help: 'Jobs per queue and state.',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      const counts = await Promise.all(queues.map((q) => q.getJobCounts(...STATES)));
      this.reset();
      queues.forEach((q, i) => {
        for (const s of STATES) this.set({ queue: q.name, state: s }, counts[i]![s] ?? 0);
      });
    },
  });
  new Counter({
    name: 'kith_jobs_total',
    help: 'Jobs finished per queue and outcome, across all worker processes.',
    labelNames: ['queue', 'outcome'],
    registers: [registry],
    async collect() {
      const m = await jobs();
      this.reset();
      for (const [queue, qm] of m) for (const [outcome, n] of Object.entries(qm.outcomes)) this.inc({ queue, outcome }, n);
    },
  });
  new Histogram({
    name: 'kith_job_duration_seconds',
    help: 'Processing time of completed and failed jobs.',
    labelNames: ['queue'],
    buckets: [...DURATION_BUCKETS],
    registers: [registry],
    async collect() {
      const m = await jobs();
      setHistogram(
        this,
        [...m].map(([queue, qm]) => ({ labels: { queue }, buckets: qm.buckets, sum: qm.sum, count: qm.count })),
      );
    },
  });
}

export interface MetricsExtras {
  /** Further metrics (the contact hub's per-system gauges, …), registered in the /metrics registry. */
  metrics?: Array<(registry: Registry) => void>;
}

/** /metrics: one prom-client Registry with the process's default metrics (`kith_process_…`, `kith_nodejs_…`), the queues' and any extras. */
export function registerMetricsRoute(app: FastifyInstance, deps: { redis: RedisClient; prefix: string; queues: readonly Queue[] } & MetricsExtras): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'kith_' });
  registerQueueMetrics(registry, deps.redis, deps.prefix, deps.queues);
  for (const register of deps.metrics ?? []) register(registry);
  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  return registry;
}
