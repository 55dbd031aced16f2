import type { RunDetails, RunRow, StepRow } from './run.store.js';

const iso = (ms: number | null) => (ms == null ? null : new Date(Number(ms)).toISOString());

/** The `kith sync --json` object: the run, its totals and one entry per step. */
export function runReport(run: RunRow, steps: readonly StepRow[]) {
  const details = JSON.parse(run.details ?? '{}') as RunDetails;
  return {
    runId: run.id,
    status: run.status,
    startedAt: iso(run.started_at),
    finishedAt: iso(run.finished_at),
    steps: steps.map((s) => ({
      id: s.step_id,
      phase: s.phase,
      dependsOn: JSON.parse(s.depends_on) as string[],
      status: s.status,
      startedAt: iso(s.started_at),
      finishedAt: iso(s.finished_at),
      records: Number(s.records),
      ...(s.error ? { error: s.error } : {}),
      ...(s.result ? { result: JSON.parse(s.result) as unknown } : {}),
    })),
    people: details.summary?.people ?? null,
    interactions: details.summary?.interactions ?? null,
    relationships: details.summary?.relationships ?? null,
  };
}

const MARK: Record<string, string> = { pending: '·', running: '…', retrying: '↻', succeeded: '✓', failed: '✗', skipped: '-' };

export function formatStepLine(s: StepRow): string {
  const secs = s.started_at && s.finished_at ? ` ${((Number(s.finished_at) - Number(s.started_at)) / 1000).toFixed(1)}s` : '';
  const recs = Number(s.records) ? ` ${s.records} records` : '';
  const err = s.error ? `  ${s.error}` : '';
  return `  ${MARK[s.status] ?? '?'} phase ${s.phase}  ${s.step_id.padEnd(28)} ${s.status}${secs}${recs}${err}`;
}
