import { z } from 'zod';
import type { Db } from '../../db/db.js';
import type { Hub } from '../../hub/hub-context.js';
import { HUB_QUEUE, TARGET_SYSTEMS, targetQueue } from '../../hub/jobs/hub-queues.js';
import { applyInbound } from '../../hub/services/inbound.service.js';
import { syncAllContacts } from '../../hub/services/sweep.service.js';
import { checkAlerts } from '../../hub/services/sweep-checks.service.js';
import { runTargetJob } from '../../hub/services/target-job.service.js';
import type { Logger } from '../../log/logger.js';
import { defineHandler, type JobHandler } from '../job-handler.js';

const system = z.enum(TARGET_SYSTEMS);
const item = z.object({ contactId: z.string().min(1), version: z.number().int().min(0) });

/**
 * The contact hub's job handlers: the inbound change, the fan-out parent, one pusher per target
 * and the sweep. The Hub (systems from env, Redis, FlowProducer) is opened on the first job in a
 * process, so a worker serving other queues never loads or builds Twenty or BigQuery clients.
 */
export function hubHandlers(deps: { db: Db; redisUrl: string; prefix: string; log: Logger }): JobHandler[] {
  let hub: Promise<Hub> | undefined;
  const getHub = () => {
    // Imported here: the hub's systems pull in the BigQuery, Supabase and Twenty clients.
    hub ??= import('../../app/open-hub.js').then(({ openHub }) => openHub(deps)).catch((err) => {
      hub = undefined;
      throw err;
    });
    return hub;
  };

  const inbound = defineHandler({
    queue: HUB_QUEUE.inbound,
    schema: z.object({ system, externalId: z.string().min(1), deleted: z.boolean().optional(), at: z.string().optional(), record: z.unknown().optional() }),
    async handle(data) {
      return applyInbound(await getHub(), data);
    },
  });

  const fanout = defineHandler({
    queue: HUB_QUEUE.fanout,
    schema: z.object({ origin: z.string(), count: z.number().int(), enqueuedAt: z.number() }).loose(),
    async handle(data, { job, log }) {
      // Runs once every child finished; a child that failed for good is listed here, not fatal.
      const failed = await job.getIgnoredChildrenFailures().catch(() => ({}) as Record<string, string>);
      const failedTargets = Object.keys(failed).map((k) => k.split('.').pop());
      if (failedTargets.length) log.warn({ failed }, `fan-out finished with failed target(s): ${failedTargets.join(', ')}`);
      return { origin: data.origin, count: data.count, first: data.first, ids: data.ids, enqueuedAt: data.enqueuedAt, finishedAt: Date.now(), failedTargets };
    },
  });

  const pushers = TARGET_SYSTEMS.map((target) =>
    defineHandler({
      queue: targetQueue(target),
      // `summary`: this job is a whole fan-out (its only target), and reports it like a parent does.
      schema: z.object({ target: z.literal(target), items: z.array(item).min(1), guard: z.boolean().optional(), summary: z.object({ origin: z.string() }).loose().optional() }),
      async handle(data, { job }) {
        return runTargetJob(await getHub(), target, data, { jobId: job.id, last: job.attemptsMade + 1 >= (job.opts.attempts ?? 1) });
      },
    }),
  );

  const sweep = defineHandler({
    queue: HUB_QUEUE.sweep,
    schema: z.object({ dryRun: z.boolean().default(false) }).loose(),
    async handle(data, { log }) {
      const h = await getHub();
      const report = await syncAllContacts(h, { dryRun: data.dryRun });
      log.info({ systems: report.systems.map((s) => ({ system: s.system, read: s.read, error: s.error })), ms: report.ms }, 'contacts sweep done');
      if (!data.dryRun) await checkAlerts(h);
      return report;
    },
  });

  return [inbound, fanout, ...pushers, sweep];
}
