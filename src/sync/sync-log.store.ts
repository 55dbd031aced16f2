import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/db.js';

/** What a sync did to records, in the six figures every log row carries (0 when not known). */
export interface SyncCounts {
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  skipped: number;
  failed: number;
}

export const COUNT_NAMES = ['created', 'updated', 'unchanged', 'deleted', 'skipped', 'failed'] as const satisfies readonly (keyof SyncCounts)[];

/** `sync-step`: one step of a run of the phase DAG. `hub-sweep`: the contact hub's sweep of one system. `table-sync`: one run of a mapped Notion ↔ Supabase table. */
export type SyncLogKind = 'sync-step' | 'hub-sweep' | 'table-sync';

export interface SyncLogEntry {
  /** Given when the same event may be recorded twice (a redelivered job): the second is ignored. */
  id?: string;
  kind: SyncLogKind;
  /** succeeded, failed or skipped. */
  status: string;
  runId?: string | null;
  stepId?: string | null;
  system?: string | null;
  counts?: Partial<SyncCounts>;
  startedAt?: number | null;
  durationMs?: number | null;
  error?: string | null;
  message?: string | null;
  /** The step's or sweep's own figures, kept as they came (JSON). */
  details?: unknown;
  /** When it finished; now by default. */
  at?: number;
}

export interface SyncLog {
  id: string;
  kind: SyncLogKind;
  status: string;
  runId: string | null;
  stepId: string | null;
  system: string | null;
  counts: SyncCounts;
  startedAt: number | null;
  finishedAt: number;
  durationMs: number | null;
  error: string | null;
  message: string | null;
  details: unknown;
}

interface SyncLogRow {
  id: string;
  event_type: string;
  status: string;
  message: string | null;
  details: string | null;
  created_at: number | string;
  run_id: string | null;
  step_id: string | null;
  system: string | null;
  records_created: number | string;
  records_updated: number | string;
  records_unchanged: number | string;
  records_deleted: number | string;
  records_skipped: number | string;
  records_failed: number | string;
  started_at: number | string | null;
  duration_ms: number | string | null;
  error: string | null;
}

const num = (v: number | string | null) => (v == null ? null : Number(v));

/** One row in `sync_logs`; pruned after its retention by the maintenance job. */
export async function recordSyncLog(q: Queryable, e: SyncLogEntry): Promise<void> {
  const c = e.counts ?? {};
  await q.run(
    `INSERT INTO sync_logs (id, event_type, status, message, details, created_at, run_id, step_id, system,
       records_created, records_updated, records_unchanged, records_deleted, records_skipped, records_failed, started_at, duration_ms, error)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    [
      e.id ?? randomUUID(),
      e.kind,
      e.status,
      e.message ?? null,
      e.details === undefined ? null : JSON.stringify(e.details),
      e.at ?? Date.now(),
      e.runId ?? null,
      e.stepId ?? null,
      e.system ?? null,
      ...COUNT_NAMES.map((n) => c[n] ?? 0),
      e.startedAt ?? null,
      e.durationMs ?? null,
      e.error == null ? null : e.error.slice(0, 2000),
    ],
  );
}

/** The latest rows, newest first; `kind` and `runId` narrow them. */
export async function readSyncLogs(q: Queryable, opts: { limit?: number; kind?: SyncLogKind; runId?: string } = {}): Promise<SyncLog[]> {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (opts.kind) {
    where.push('event_type = ?');
    params.push(opts.kind);
  }
  if (opts.runId) {
    where.push('run_id = ?');
    params.push(opts.runId);
  }
  const rows = await q.all<SyncLogRow>(
    `SELECT * FROM sync_logs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, COALESCE(started_at, created_at) DESC, id DESC LIMIT ?`,
    [...params, Math.max(1, Math.floor(opts.limit ?? 50))],
  );
  return rows.map((r) => ({
    id: r.id,
    kind: r.event_type as SyncLogKind,
    status: r.status,
    runId: r.run_id,
    stepId: r.step_id,
    system: r.system,
    counts: {
      created: Number(r.records_created),
      updated: Number(r.records_updated),
      unchanged: Number(r.records_unchanged),
      deleted: Number(r.records_deleted),
      skipped: Number(r.records_skipped),
      failed: Number(r.records_failed),
    },
    startedAt: num(r.started_at),
    finishedAt: Number(r.created_at),
    durationMs: num(r.duration_ms),
    error: r.error,
    message: r.message,
    details: r.details == null ? null : (JSON.parse(r.details) as unknown),
  }));
}
