import type { Db } from '../db/db.js';
import type { SystemName } from '../hub/domain/canonical-contact.js';
import { hubStatus } from '../hub/services/hub-status.service.js';
import { listConflicts } from '../hub/stores/sync-conflicts.store.js';
import { inList } from '../db/sql-lists.js';
import { sourceStateKey } from '../sync/collect-source.service.js';
import { getRun } from '../sync/run.store.js';
import { readSyncLogs, type SyncCounts } from '../sync/sync-log.store.js';
import { listSyncState } from '../sync/sync-state.store.js';
import { NotFoundError } from '../errors.js';

/** Read side of the Sync page: run history, one run's steps, sources' freshness, the hub's systems. */

const num = (v: unknown) => (v == null ? null : Number(v));
const json = (v: unknown) => (v == null ? null : (JSON.parse(String(v)) as unknown));

export async function listRuns(db: Db, limit: number) {
  const runs = await db.all<Record<string, unknown>>('SELECT id, kind, status, started_at, finished_at FROM sync_runs ORDER BY started_at DESC, id DESC LIMIT ?', [limit]);
  const l = inList(db, 'run_id', runs.map((r) => String(r.id)));
  const counts = runs.length ? await db.all<{ run_id: string; status: string; n: number }>(`SELECT run_id, status, COUNT(*) AS n FROM sync_run_steps WHERE ${l.sql} GROUP BY run_id, status`, l.params) : [];
  return {
    runs: runs.map((r) => {
      const startedAt = Number(r.started_at);
      const finishedAt = num(r.finished_at);
      const steps = Object.fromEntries(counts.filter((c) => c.run_id === r.id).map((c) => [c.status, Number(c.n)]));
      return { id: String(r.id), kind: String(r.kind), status: String(r.status), startedAt, finishedAt, durationMs: finishedAt == null ? null : finishedAt - startedAt, steps };
    }),
  };
}

export interface RunStepView {
  id: string;
  phase: number;
  dependsOn: string[];
  queue: string;
  status: string;
  startedAt: number | null;
  finishedAt: number | null;
  durationMs: number | null;
  records: number;
  attempts: number;
  error: string | null;
  /** What the step's log row counted (created, updated, …, failed), when it wrote one. */
  counts: SyncCounts | null;
}

/** One run with its DAG: every step's start, duration, records and failures. */
export async function runDetail(db: Db, runId: string) {
  const found = await getRun(db, runId);
  if (!found) throw new NotFoundError(`run ${runId} not found`);
  const logs = await readSyncLogs(db, { runId, kind: 'sync-step', limit: 1000 });
  const countsBy = new Map(logs.filter((g) => g.stepId).map((g) => [g.stepId!, g.counts]));
  const { run, steps } = found;
  const startedAt = Number(run.started_at);
  const finishedAt = num(run.finished_at);
  return {
    id: run.id,
    kind: run.kind,
    status: run.status,
    startedAt,
    finishedAt,
    durationMs: finishedAt == null ? null : finishedAt - startedAt,
    summary: (json(run.details) as { summary?: unknown } | null)?.summary ?? null,
    steps: steps.map((s): RunStepView => {
      const st = num(s.started_at);
      const fi = num(s.finished_at);
      return {
        id: s.step_id,
        phase: Number(s.phase),
        dependsOn: JSON.parse(s.depends_on) as string[],
        queue: s.queue,
        status: s.status,
        startedAt: st,
        finishedAt: fi,
        durationMs: st != null && fi != null ? fi - st : null,
        records: Number(s.records),
        attempts: Number(s.attempts),
        error: s.error,
        counts: countsBy.get(s.step_id) ?? null,
      };
    }),
  };
}

/** Each source's freshness from its sync state: last success, records, failures, warnings. */
export async function sourcesFreshness(db: Db, now = Date.now()) {
  const prefix = sourceStateKey('');
  const rows = await listSyncState(db, prefix);
  return {
    sources: rows.map((r) => {
      const last = num(r.last_success_at);
      return {
        id: r.key.slice(prefix.length),
        lastSuccessAt: last,
        ageMs: last == null ? null : Math.max(0, now - last),
        records: Number(r.records),
        failureCount: Number(r.failure_count),
        lastError: r.last_error,
        lastErrorAt: num(r.last_error_at),
        lastWarning: r.last_warning,
        skipped: Number(r.last_skipped ?? 0),
      };
    }),
  };
}

/** The contact hub's systems (drift, pending outbox, open conflicts) and the open conflicts themselves. */
export async function hubOverview(db: Db, systems: { canonical: SystemName; targets: readonly SystemName[] }) {
  const [status, conflicts] = await Promise.all([hubStatus(db, systems), listConflicts(db, { limit: 200 })]);
  return { canonical: systems.canonical, systems: status, conflicts };
}
