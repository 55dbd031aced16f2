import type { Db } from '../../db/db.js';
import type { Hub } from '../../hub/hub-context.js';
import { HUB_QUEUE, TARGET_SYSTEMS, targetQueue } from '../../hub/jobs/hub-queues.js';
import { fanoutJobData, inboundJobData, sweepJobData, targetJobData } from '../../hub/jobs/job-data.js';
import { applyInbound } from '../../hub/services/inbound.service.js';
import { fanoutFinished } from '../../hub/services/propagation.service.js';
import { runSweepJob } from '../../hub/services/sweep-checks.service.js';
import { runTargetJob } from '../../hub/services/target-job.service.js';
import type { Logger } from '../../log/logger.js';
import { defineHandler, type JobHandler } from '../job-handler.js';

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
    schema: inboundJobData,
    async handle(data, { job }) {
      // Started before (a retry, or a stalled job taken again): its first attempt may have applied the change but lost the fan-out.
      return applyInbound(await getHub(), data, { redelivered: job.attemptsStarted > 1, origin: 'webhook' });
    },
  });

  const fanout = defineHandler({
    queue: HUB_QUEUE.fanout,
    schema: fanoutJobData,
    async handle(data, { job, log }) {
      const failed = await job.getIgnoredChildrenFailures().catch(() => ({}) as Record<string, string>);
      return fanoutFinished(data, failed, log);
    },
  });

  const pushers = TARGET_SYSTEMS.map((target) =>
    defineHandler({
      queue: targetQueue(target),
      schema: targetJobData(target),
      async handle(data, { job }) {
        return runTargetJob(await getHub(), target, data, { jobId: job.id, last: job.attemptsMade + 1 >= (job.opts.attempts ?? 1) });
      },
    }),
  );

  const sweep = defineHandler({
    queue: HUB_QUEUE.sweep,
    schema: sweepJobData,
    async handle(data, { log }) {
      return runSweepJob(await getHub(), data, log);
    },
  });

  return [inbound, fanout, ...pushers, sweep];
}
