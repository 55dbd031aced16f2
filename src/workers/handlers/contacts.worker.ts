import { z } from 'zod';
import { recordPropagationError } from '../contacts/contact-outbox.store.js';
import { isKithError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { defineHandler, type JobHandler } from '../workers/job-handler.js';
import { listPending } from '../contacts/contact-outbox.store.js';
import type { Db } from '../db/db.js';
import { readSyncState } from '../sync/sync-state-store.js';
import { driftStateKey, measureDrift } from './drift.service.js';
import type { Hub } from './hub-context.js';
import { HUB_QUEUE, TARGET_SYSTEMS, targetQueue } from './hub-queues.js';
import { PROPAGATION_LAG_ALERT_MS } from './hub-status.js';
import { applyInbound } from './inbound.service.js';
import { pushToTarget } from './push.service.js';
import { syncAllContacts } from './sweep.service.js';

const system = z.enum(TARGET_SYSTEMS);
const item = z.object({ contactId: z.string().min(1), version: z.number().int().min(0) });
/** The sweep measures drift (a full read of every system) at most this often. */
const DRIFT_EVERY_MS = 3_600_000;

/**
 * The hub's job handlers. The Hub (systems from env, Redis, FlowProducer) is opened on the first
 * job in a process, so a worker serving other queues never loads or builds Twenty or BigQuery clients.
 */
export function hubHandlers(deps: { db: Db; redisUrl: string; prefix: string; log: Logger }): JobHandler[] {
  let hub: Promise<Hub> | undefined;
  const getHub = () => {
    // Imported here: the hub's systems pull in the BigQuery, Supabase and Twenty clients.
    hub ??= import('./hub-context.js').then(({ openHub }) => openHub(deps)).catch((err) => {
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
        const h = await getHub();
        try {
          const r = await pushToTarget(h, target, data.items, { guard: data.guard });
          h.alerts.clear('sync_failure', `push:${target}`);
          return data.summary ? { ...data.summary, ...r, finishedAt: Date.now() } : r;
        } catch (err) {
          const message = (err as Error).message;
          await h.db.tx(async (q) => {
            for (const it of data.items) await recordPropagationError(q, it.contactId, target, message);
          }).catch(() => undefined);
          const final = (isKithError(err) && !err.retryable) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
          await h.alerts.raise(
            { kind: 'sync_failure', subject: `push:${target}`, message: `writing ${data.items.length} contact(s) to ${target} failed${final ? ' for good' : ''}: ${message}`, details: { jobId: job.id } },
            { transient: !final },
          );
          throw err;
        }
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

/** After each sweep: changes older than 5 minutes not yet propagated, and drift (hourly). */
export async function checkAlerts(h: Hub): Promise<void> {
  const lagging = await listPending(h.db, { now: h.clock(), olderThanMs: PROPAGATION_LAG_ALERT_MS, limit: 100 });
  for (const target of new Set(lagging.map((p) => p.target))) {
    const rows = lagging.filter((p) => p.target === target);
    await h.alerts.raise({
      kind: 'propagation_lag',
      subject: target,
      message: `${rows.length}${rows.length === 100 ? '+' : ''} contact change(s) older than 5 minutes not yet written to ${target} (oldest since ${new Date(rows[0]!.enqueuedAt).toISOString()})`,
      details: { oldest: rows[0]!.contactId, lastError: rows[0]!.lastError },
    });
  }
  const first = [...h.systems.targets.keys()][0];
  const last = first ? await readSyncState(h.db, driftStateKey(first)) : undefined;
  if (first && h.clock() - Number(last?.last_success_at ?? 0) >= DRIFT_EVERY_MS) await measureDrift(h, { sampleSize: 0 });
}
