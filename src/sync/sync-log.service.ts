import type { Queryable } from '../db/db.js';
import { type FinishedStepRow, stepLogEntry, sweepLogEntry, type SweptSystem } from './sync-log.mapper.js';
import { recordSyncLog, type SyncCounts } from './sync-log.store.js';

/**
 * Log the finished steps of a run (one, or all): one `sync_logs` row per step, however often
 * this is called — the row's id is the run and step, so a second call adds nothing. Called when
 * a step ends (with the counts its declaration reported), and when the run ends for the steps
 * that never got to run.
 */
export async function logFinishedSteps(q: Queryable, runId: string, stepId?: string, counts?: Partial<SyncCounts>): Promise<void> {
  const rows = await q.all<FinishedStepRow>(
    `SELECT run_id, step_id, status, started_at, finished_at, result, error FROM sync_run_steps
     WHERE run_id = ? AND status IN ('succeeded', 'failed', 'skipped')${stepId === undefined ? '' : ' AND step_id = ?'}`,
    stepId === undefined ? [runId] : [runId, stepId],
  );
  for (const row of rows) await recordSyncLog(q, stepLogEntry(row, row.step_id === stepId ? counts : undefined));
}

/** Log one system's sweep by the contact hub (not a dry run: that writes nothing). */
export async function logSweep(q: Queryable, sweep: SweptSystem, startedAt: number, finishedAt: number): Promise<void> {
  await recordSyncLog(q, sweepLogEntry(sweep, startedAt, finishedAt));
}
