import type { SystemName } from '../domain/canonical-contact.js';
import { listPending, pendingByTarget } from '../stores/contact-outbox.store.js';
import type { Queryable } from '../../db/db.js';
import { listSyncState } from '../../sync/sync-state.store.js';
import { readStoredDrift } from './drift.service.js';
import { sweepStateKey } from './sweep.service.js';

/** A change older than this and not yet propagated is an alert. */
export const PROPAGATION_LAG_ALERT_MS = 5 * 60_000;

export interface SystemStatus {
  system: SystemName;
  role: 'canonical' | 'target';
  /** Latest successful sweep of the system or push to it (ISO), null if never. */
  last_success: string | null;
  /** Changes waiting to be written to this system (outbox). */
  pending: number;
  oldest_pending_age_s: number | null;
  open_conflicts: number;
  /** Consecutive sweep failures plus pending pushes that failed at least once. */
  errors: number;
  last_error: string | null;
  drift_pct: number | null;
  drift_measured_at: string | null;
}

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(Number(ms)).toISOString());

/** Sync health per system (last success, pending changes, conflicts, errors, drift), from our database only (no call to any system). */
export async function hubStatus(q: Queryable, systems: { canonical: SystemName; targets: readonly SystemName[] }, now = Date.now()): Promise<SystemStatus[]> {
  const [pending, states, drift, conflicts, failing] = await Promise.all([
    pendingByTarget(q),
    listSyncState(q, 'contacts'),
    readStoredDrift(q),
    q.all<{ system: string; n: number }>(
      `SELECT system, COUNT(*) AS n FROM (SELECT system_a AS system FROM sync_conflicts WHERE resolved_at IS NULL AND table_name IS NULL
        UNION ALL SELECT system_b FROM sync_conflicts WHERE resolved_at IS NULL AND table_name IS NULL) x GROUP BY system`,
    ),
    q.all<{ target: string; n: number }>('SELECT target, COUNT(*) AS n FROM contact_outbox WHERE done_at IS NULL AND attempts > 0 GROUP BY target'),
  ]);
  const state = new Map(states.map((s) => [s.key, s]));
  const all: [SystemName, SystemStatus['role']][] = [[systems.canonical, 'canonical'], ...systems.targets.map((t) => [t, 'target'] as [SystemName, 'target'])];
  return all.map(([system, role]) => {
    const sweep = state.get(sweepStateKey(system));
    const push = state.get(`contacts-push:${system}`);
    const last = Math.max(Number(sweep?.last_success_at ?? 0), Number(push?.last_success_at ?? 0));
    const p = pending[system];
    const d = drift.get(system);
    return {
      system,
      role,
      last_success: last ? iso(last) : null,
      pending: p?.pending ?? 0,
      oldest_pending_age_s: p?.oldestEnqueuedAt == null ? null : Math.max(0, Math.round((now - p.oldestEnqueuedAt) / 1000)),
      open_conflicts: Number(conflicts.find((c) => c.system === system)?.n ?? 0),
      errors: Number(sweep?.failure_count ?? 0) + Number(failing.find((f) => f.target === system)?.n ?? 0),
      last_error: sweep?.last_error ?? null,
      drift_pct: d?.driftPct ?? null,
      drift_measured_at: iso(d?.measuredAt),
    };
  });
}

/** The /health section: `{ contacts: { canonical, systems: [...] } }`. */
export async function hubHealthSection(q: Queryable, systems: { canonical: SystemName; targets: readonly SystemName[] }): Promise<Record<string, unknown>> {
  const list = await hubStatus(q, systems);
  const lagging = await listPending(q, { olderThanMs: PROPAGATION_LAG_ALERT_MS, limit: 1 });
  return { contacts: { canonical: systems.canonical, propagation_lagging: lagging.length > 0, systems: list } };
}
