import { Queue } from 'bullmq';
import { jobOptionsFor } from '../queues/queue-registry.js';
import { createRedis } from '../redis/connection.js';

/** A repeatable job declared as data; upserted at start-up, so restarts never duplicate it. */
export interface ScheduleSpec {
  id: string;
  queue: string;
  /** Cron pattern, or every N ms. */
  pattern?: string;
  everyMs?: number;
  jobName: string;
  data: Record<string, unknown>;
}

export function coreSchedules(): ScheduleSpec[] {
  return [{ id: 'maintenance-prune', queue: 'maintenance', pattern: '17 3 * * *', jobName: 'prune', data: { task: 'prune' } }];
}

export async function upsertSchedules(redisUrl: string, prefix: string, specs: readonly ScheduleSpec[]): Promise<void> {
  const conn = createRedis(redisUrl, { name: 'kith-schedules' });
  try {
    for (const s of specs) {
      const q = new Queue(s.queue, { connection: conn, prefix });
      await q.upsertJobScheduler(s.id, s.pattern ? { pattern: s.pattern } : { every: s.everyMs! }, {
        name: s.jobName,
        data: s.data,
        opts: jobOptionsFor(s.queue),
      });
      await q.close();
    }
  } finally {
    await conn.quit().catch(() => conn.disconnect());
  }
}
