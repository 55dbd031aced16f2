import type { Queue } from 'bullmq';
import { createRedis, type RedisClient } from '../redis/connection.js';
import { openQueue } from '../redis/queue-objects.js';

/**
 * A step's progress as its job reports it (`job.updateProgress`: `{stage, done, total?}`), as one
 * line: `1500 of ~5000 (30%)`, or `1500` when the provider gives no total. Anything else: none.
 */
export function formatStepProgress(p: unknown): string | undefined {
  if (!p || typeof p !== 'object') return undefined;
  const { done, total, stage } = p as { done?: unknown; total?: unknown; stage?: unknown };
  if (typeof done !== 'number') return undefined;
  const what = typeof stage === 'string' ? `${stage}: ` : '';
  if (typeof total !== 'number' || total <= 0) return `${what}${done} read`;
  return `${what}${done} of ~${total} read (${Math.min(100, Math.floor((done / total) * 100))}%)`;
}

/** Reads running steps' job progress from their queues (`kith sync`). */
export class StepProgressReader {
  private readonly redis: RedisClient;
  private readonly queues = new Map<string, Queue>();

  constructor(
    url: string,
    private readonly prefix: string,
  ) {
    this.redis = createRedis(url, { failFast: true, name: 'kith:sync-progress' });
  }

  async read(queue: string, jobId: string): Promise<unknown> {
    let q = this.queues.get(queue);
    if (!q) this.queues.set(queue, (q = openQueue(queue, { connection: this.redis, prefix: this.prefix })));
    return (await q.getJob(jobId))?.progress;
  }

  async close(): Promise<void> {
    for (const q of this.queues.values()) await q.close().catch(() => undefined);
    await this.redis.quit().catch(() => undefined);
  }
}
