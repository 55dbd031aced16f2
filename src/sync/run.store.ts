import type { Db, Queryable } from '../db/db.js';
import type { KithConfig } from './kith-config.js';
import { logFinishedSteps } from './sync-log.service.js';
import type { SyncCounts } from './sync-log.store.js';

/** What a failed step means for its run: later steps go on without it, or the run fails. */
export type FailurePolicy = 'continue' | 'fail-run';
export type Phase = 1 | 2 | 3 | 4 | 5;

/**
 * One step of one run as data (what the run store records and the flow compiler builds): its
 * phase, the steps it depends on, the queue whose workers run it, its failure policy.
 */
export interface DagStep {
  id: string;
  phase: Phase;
  dependsOn: string[];
  queue: string;
  failurePolicy: FailurePolicy;
  /** What the step's worker needs beyond the run id (the source's id, …). */
  params: Record<string, unknown>;
}

export type StepStatus = 'pending' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'skipped';
export type RunStatus = 'running' | 'succeeded' | 'partial' | 'failed';

export interface StepRow {
  run_id: string;
  step_id: string;
  phase: number;
  depends_on: string;
  queue: string;
  failure_policy: string;
  params: string;
  status: StepStatus;
  started_at: number | null;
  finished_at: number | null;
  records: number;
  result: string | null;
  error: string | null;
  attempts: number;
}

export interface RunRow {
  id: string;
  kind: string;
  status: RunStatus;
  started_at: number;
  finished_at: number | null;
  details: string | null;
}

export interface RunDetails {
  config: Pick<KithConfig, 'file' | 'self' | 'sources'> & Partial<Pick<KithConfig, 'contacts' | 'categories'>>;
  full: boolean;
  summary?: { people: number; interactions: number; relationships: number };
}

/** A run and all its steps, written in one transaction before the flow is enqueued. */
export async function createRun(db: Db, runId: string, kind: string, steps: readonly DagStep[], details: RunDetails): Promise<void> {
  await db.tx(async (q) => {
    await q.run(`INSERT INTO sync_runs (id, kind, status, started_at, details) VALUES (?, ?, 'running', ?, ?)`, [runId, kind, Date.now(), JSON.stringify(details)]);
    await q.runMany(
      `INSERT INTO sync_run_steps (run_id, step_id, phase, depends_on, queue, failure_policy, params, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')`,
      steps.map((s) => [runId, s.id, s.phase, JSON.stringify(s.dependsOn), s.queue, s.failurePolicy, JSON.stringify(s.params)]),
    );
  });
}

export async function getRun(q: Queryable, runId: string): Promise<{ run: RunRow; steps: StepRow[] } | undefined> {
  const run = await q.get<RunRow>('SELECT * FROM sync_runs WHERE id = ?', [runId]);
  if (!run) return undefined;
  const steps = await q.all<StepRow>('SELECT * FROM sync_run_steps WHERE run_id = ? ORDER BY phase, step_id', [runId]);
  return { run, steps };
}

export async function getStep(q: Queryable, runId: string, stepId: string): Promise<StepRow | undefined> {
  return q.get<StepRow>('SELECT * FROM sync_run_steps WHERE run_id = ? AND step_id = ?', [runId, stepId]);
}

export async function markStepStarted(q: Queryable, runId: string, stepId: string): Promise<void> {
  await q.run(
    `UPDATE sync_run_steps SET status = 'running', started_at = COALESCE(started_at, ?), attempts = attempts + 1 WHERE run_id = ? AND step_id = ?`,
    [Date.now(), runId, stepId],
  );
}

export async function markStepFinished(
  q: Queryable,
  runId: string,
  stepId: string,
  status: Exclude<StepStatus, 'pending' | 'running'>,
  out: { records?: number; result?: unknown; error?: string; counts?: Partial<SyncCounts> } = {},
): Promise<void> {
  const final = status !== 'retrying';
  await q.run(
    `UPDATE sync_run_steps SET status = ?, finished_at = ?, records = ?, result = ?, error = ? WHERE run_id = ? AND step_id = ?`,
    [status, final ? Date.now() : null, out.records ?? 0, out.result === undefined ? null : JSON.stringify(out.result), out.error ?? null, runId, stepId],
  );
  if (final) await logFinishedSteps(q, runId, stepId, out.counts);
}

/** Steps whose outcome is not recorded yet: their job may still run, or may have died unrecorded. */
export const UNFINISHED_STEP: ReadonlySet<StepStatus> = new Set(['pending', 'running', 'retrying']);

/**
 * Record as failed a step whose job ended without its handler recording an outcome (BullMQ
 * failed it after its worker died too often, or the job is gone). Only a step still unfinished
 * is changed, so an outcome its handler recorded in the meantime stands. True when it changed.
 */
export async function failUnfinishedStep(q: Queryable, runId: string, stepId: string, error: string): Promise<boolean> {
  const changed = await q.run(
    `UPDATE sync_run_steps SET status = 'failed', finished_at = ?, error = ? WHERE run_id = ? AND step_id = ? AND status IN ('pending', 'running', 'retrying')`,
    [Date.now(), error, runId, stepId],
  );
  if (!changed.changes) return false;
  await logFinishedSteps(q, runId, stepId);
  return true;
}

/**
 * May this step run? `ready` when every dependency succeeded (or failed under a `continue`
 * policy); `blocked` when one failed under `fail-run` or was skipped; else `waiting`.
 */
export function dependencyState(step: StepRow, all: readonly StepRow[]): 'ready' | 'waiting' | 'blocked' {
  const deps = JSON.parse(step.depends_on) as string[];
  let waiting = false;
  for (const id of deps) {
    const d = all.find((s) => s.step_id === id);
    if (!d) return 'blocked';
    if (d.status === 'skipped' || (d.status === 'failed' && d.failure_policy === 'fail-run')) return 'blocked';
    if (d.status !== 'succeeded' && d.status !== 'failed') waiting = true;
  }
  return waiting ? 'waiting' : 'ready';
}

/** The run's outcome from its steps: failed if a fail-run step failed or was skipped; partial if a source failed. */
export function runOutcome(steps: readonly StepRow[]): RunStatus {
  if (steps.some((s) => s.failure_policy === 'fail-run' && (s.status === 'failed' || s.status === 'skipped'))) return 'failed';
  if (steps.some((s) => s.status === 'failed' || s.status === 'skipped')) return 'partial';
  return 'succeeded';
}

export async function finishRun(db: Db, runId: string, summary: RunDetails['summary']): Promise<RunStatus> {
  return db.tx(async (q) => {
    const r = await getRun(q, runId);
    if (!r) throw new Error(`run ${runId} not found`);
    // Steps that never got to run (their parent chain was cut short) are skipped, not pending.
    await q.run(`UPDATE sync_run_steps SET status = 'skipped', error = COALESCE(error, 'did not run') WHERE run_id = ? AND status IN ('pending', 'running', 'retrying')`, [runId]);
    await logFinishedSteps(q, runId);
    const steps = (await getRun(q, runId))!.steps;
    const status = runOutcome(steps);
    const details = { ...(JSON.parse(r.run.details ?? '{}') as RunDetails), summary };
    await q.run(`UPDATE sync_runs SET status = ?, finished_at = ?, details = ? WHERE id = ?`, [status, Date.now(), JSON.stringify(details), runId]);
    return status;
  });
}
