import type { RedisClient } from '../redis/connection.js';


/** Histogram buckets for job durations, in seconds. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] as const;

export type Outcome = 'completed' | 'failed' | 'retried' | 'rate_limited' | 'released';

/**
 * Job outcomes and durations, aggregated in one Redis hash so that the HTTP process can
 * export what every worker process did.
 */
export function metricsKey(prefix: string): string {
  return `${prefix}:kith:job-metrics`;
}

/** The hash fields one job outcome increments, with the amounts. */
function fieldsFor(queue: string, outcome: Outcome, seconds: number): [field: string, by: number][] {
  const out: [string, number][] = [[`${queue}|${outcome}`, 1]];
  if (outcome === 'completed' || outcome === 'failed') {
    const bucket = DURATION_BUCKETS.find((b) => seconds <= b);
    out.push([`${queue}|le|${bucket ?? '+Inf'}`, 1], [`${queue}|sum`, seconds], [`${queue}|count`, 1]);
  }
  return out;
}

/**
 * A worker process's job outcomes, summed in memory and added to the shared hash every
 * `everyMs` (default 1 s) and on close: a job's completion does not wait for its metrics, and
 * a busy process sends one round trip a second instead of four commands a job. A flush that
 * fails keeps its sums for the next one; a process killed outright loses at most the last second.
 */
export class JobMetricsRecorder {
  private pending = new Map<string, number>();
  private readonly timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    everyMs = 1000,
  ) {
    if (everyMs > 0) {
      this.timer = setInterval(() => void this.flush().catch(() => undefined), everyMs);
      this.timer.unref();
    }
  }

  record(queue: string, outcome: Outcome, seconds: number): void {
    for (const [field, by] of fieldsFor(queue, outcome, seconds)) this.pending.set(field, (this.pending.get(field) ?? 0) + by);
  }

  /** Adds what was recorded since the last flush; flushes never overlap. */
  flush(): Promise<void> {
    this.flushing = this.flushing.catch(() => undefined).then(() => this.send());
    return this.flushing;
  }

  private async send(): Promise<void> {
    if (!this.pending.size) return;
    const batch = this.pending;
    this.pending = new Map();
    const key = metricsKey(this.prefix);
    // MULTI: the increments apply all together or not at all, so a retried batch is never counted twice.
    const m = this.redis.multi();
    for (const [field, by] of batch) {
      if (field.endsWith('|sum')) m.hincrbyfloat(key, field, by);
      else m.hincrby(key, field, by);
    }
    try {
      await m.exec();
    } catch (err) {
      // Not lost: merged back into what the next flush sends.
      for (const [field, by] of batch) this.pending.set(field, (this.pending.get(field) ?? 0) + by);
      throw err;
    }
  }

  /** Stops the timer and sends what is left. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}

export interface QueueJobMetrics {
  outcomes: Partial<Record<Outcome, number>>;
  /** Non-cumulative bucket counts keyed by upper bound ('+Inf' last). */
  buckets: Record<string, number>;
  sum: number;
  count: number;
}

export async function readJobMetrics(redis: RedisClient, prefix: string): Promise<Map<string, QueueJobMetrics>> {
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
