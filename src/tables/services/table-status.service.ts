import type { Queryable } from '../../db/db.js';
import { listSyncState } from '../../sync/sync-state.store.js';
import type { TableMapping } from '../config/tables-config.js';
import { tableStateKey } from './table-sync.service.js';

export interface TableStatus {
  table: string;
  mode: TableMapping['mode'];
  /** When the latest run (or failure) ended, ISO; null if never. */
  last_run: string | null;
  last_success: string | null;
  /** The latest failure's message while the table is failing, else null. */
  error: string | null;
  consecutive_failures: number;
  runs_24h: number;
  /** Succeeded runs / runs over 24 hours; null without runs. */
  success_rate_24h: number | null;
  open_conflicts: number;
}

const iso = (ms: number | string | null | undefined) => (ms == null ? null : new Date(Number(ms)).toISOString());

/** Each mapped table's health, from our database only (sync_state, sync_logs, sync_conflicts). */
export async function tablesStatus(q: Queryable, tables: readonly TableMapping[], now = Date.now()): Promise<TableStatus[]> {
  const [states, runs, conflicts] = await Promise.all([
    listSyncState(q, 'tables:'),
    q.all<{ system: string; status: string; n: number | string; last: number | string }>(
      "SELECT system, status, COUNT(*) AS n, MAX(created_at) AS last FROM sync_logs WHERE event_type = 'table-sync' AND created_at >= ? GROUP BY system, status",
      [now - 24 * 3_600_000],
    ),
    q.all<{ table_name: string; n: number | string }>('SELECT table_name, COUNT(*) AS n FROM sync_conflicts WHERE table_name IS NOT NULL AND resolved_at IS NULL GROUP BY table_name'),
  ]);
  const state = new Map(states.map((s) => [s.key, s]));
  return tables.map((t) => {
    const s = state.get(tableStateKey(t.name));
    const mine = runs.filter((r) => r.system === t.name);
    const total = mine.reduce((a, r) => a + Number(r.n), 0);
    const ok = mine.filter((r) => r.status === 'succeeded').reduce((a, r) => a + Number(r.n), 0);
    const lastRun = Math.max(0, ...mine.map((r) => Number(r.last)), Number(s?.last_success_at ?? 0), Number(s?.last_error_at ?? 0));
    const failing = Number(s?.failure_count ?? 0) > 0;
    return {
      table: t.name,
      mode: t.mode,
      last_run: lastRun ? iso(lastRun) : null,
      last_success: iso(s?.last_success_at),
      error: failing ? (s?.last_error ?? null) : null,
      consecutive_failures: Number(s?.failure_count ?? 0),
      runs_24h: total,
      success_rate_24h: total ? Math.round((ok / total) * 1000) / 1000 : null,
      open_conflicts: Number(conflicts.find((c) => c.table_name === t.name)?.n ?? 0),
    };
  });
}

/** The `/health` section: `{ tables: [...] }` beside the contact hub's `contacts`. */
export async function tablesHealthSection(q: Queryable, tables: readonly TableMapping[]): Promise<Record<string, unknown>> {
  return tables.length ? { tables: await tablesStatus(q, tables) } : {};
}
