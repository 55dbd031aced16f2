import { listPending } from '../stores/contact-outbox.store.js';
import { readSyncState } from '../../sync/sync-state.store.js';
import { driftStateKey, measureDrift } from './drift.service.js';
import type { Logger } from '../../log/logger.js';
import type { Hub } from '../hub-context.js';
import { type SweepReport, syncAllContacts } from './sweep.service.js';
import { PROPAGATION_LAG_ALERT_MS } from './hub-status.service.js';

/** The sweep measures drift (a full read of every system) at most this often. */
const DRIFT_EVERY_MS = 3_600_000;

/** After each sweep: changes older than 5 minutes not yet propagated (an alert per target, cleared once none is left), and drift (hourly). */
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
  for (const target of h.systems.targets.keys()) if (!lagging.some((p) => p.target === target)) await h.alerts.clear('propagation_lag', target);
  const first = [...h.systems.targets.keys()][0];
  const last = first ? await readSyncState(h.db, driftStateKey(first)) : undefined;
  if (first && h.clock() - Number(last?.last_success_at ?? 0) >= DRIFT_EVERY_MS) await measureDrift(h, { sampleSize: 0 });
}

/** One contacts-sweep job: the sweep, its summary in the log, then (a real run only) the alert checks. */
export async function runSweepJob(h: Hub, opts: { dryRun: boolean }, log: Logger): Promise<SweepReport> {
  const report = await syncAllContacts(h, { dryRun: opts.dryRun });
  log.info({ systems: report.systems.map((s) => ({ system: s.system, read: s.read, error: s.error })), ms: report.ms }, 'contacts sweep done');
  if (!opts.dryRun) await checkAlerts(h);
  return report;
}
