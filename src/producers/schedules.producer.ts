import { z } from 'zod';
import { cronProblem } from '../config/cron-pattern.js';
import { type Env, parseEnv } from '../config/parse-env.js';
import { hubSchema } from '../config/hub.config.js';
import { HUB_QUEUE } from '../hub/jobs/hub-queues.js';
import { PIPELINE_QUEUE } from '../sync/pipeline-queues.js';
import { jobOptionsFor } from '../queues/queue-registry.js';
import { createRedis } from '../redis/connection.js';
import { openQueue } from '../redis/queue-objects.js';

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

/** KITH_DAILY_SYNC_CRON (default 06:00 every day) starts the unified sync. */
export const scheduleSchema = z.object({
  KITH_DAILY_SYNC_CRON: z.string().superRefine(cronProblem).default('0 6 * * *'),
});

export function coreSchedules(env: Env = process.env): ScheduleSpec[] {
  const c = parseEnv(scheduleSchema, env);
  const hub = parseEnv(hubSchema.pick({ KITH_CONTACTS_SYNC_EVERY: true }), env);
  return [
    { id: 'maintenance-prune', queue: 'maintenance', pattern: '17 3 * * *', jobName: 'prune', data: { task: 'prune' } },
    { id: 'daily-sync', queue: PIPELINE_QUEUE.schedule, pattern: c.KITH_DAILY_SYNC_CRON, jobName: 'daily-sync', data: { kind: 'daily' } },
    // KITH_CONTACTS_SYNC_EVERY (default 5m): the contact hub's catch-up sweep.
    { id: 'contacts-sync', queue: HUB_QUEUE.sweep, everyMs: hub.KITH_CONTACTS_SYNC_EVERY, jobName: 'sync_all_contacts', data: { dryRun: false } },
  ];
}

export async function upsertSchedules(redisUrl: string, prefix: string, specs: readonly ScheduleSpec[]): Promise<void> {
  const conn = createRedis(redisUrl, { name: 'kith-schedules' });
  try {
    for (const s of specs) {
      const q = openQueue(s.queue, { connection: conn, prefix });
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
