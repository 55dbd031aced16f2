import { splitGroupQueue } from '../queues/queue-registry.js';
import type { RunDetails, RunRow, StepRow } from './run.store.js';
import { describeSkipped, SKIPPED_KEPT, type SkippedSample } from './sync-state.store.js';

const iso = (ms: number | null) => (ms == null ? null : new Date(Number(ms)).toISOString());

/** Malformed records a step skipped (collection steps report them), with the first few. */
export function stepSkipped(s: Pick<StepRow, 'result'>): { skipped: number; skippedSample: SkippedSample[] } | null {
  if (!s.result) return null;
  let r: { skipped?: unknown; skippedSample?: unknown };
  try {
    r = JSON.parse(s.result) as typeof r;
  } catch {
    return null;
  }
  if (typeof r.skipped !== 'number' || !r.skipped) return null;
  const sample = Array.isArray(r.skippedSample) ? (r.skippedSample as SkippedSample[]) : [];
  return {
    skipped: r.skipped,
    skippedSample: sample.slice(0, SKIPPED_KEPT).map((x) => ({ file: x.file, ...(x.line !== undefined ? { line: x.line } : x.offset !== undefined ? { offset: x.offset } : {}), reason: x.reason })),
  };
}

/**
 * Skipped records in words for a terminal: `<indent>N malformed records skipped:` (`…, the
 * first 5:` when more were skipped than kept) and one line per kept record under it.
 */
export function formatSkipped(count: number, sample: readonly SkippedSample[], indent: string): string[] {
  const head = `${indent}${count} malformed record${count === 1 ? '' : 's'} skipped${sample.length ? (count > sample.length ? `, the first ${sample.length}:` : ':') : ''}`;
  return [head, ...sample.map((x) => `${indent}  ${describeSkipped(x)}`)];
}

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
      ...(splitGroupQueue(s.queue).group !== undefined ? { group: splitGroupQueue(s.queue).group } : {}),
      startedAt: iso(s.started_at),
      finishedAt: iso(s.finished_at),
      records: Number(s.records),
      ...(stepSkipped(s) ?? {}),
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
  const skipped = stepSkipped(s)?.skipped;
  const skips = skipped ? `, ${skipped} skipped` : '';
  const err = s.error ? `  ${s.error}` : '';
  const group = splitGroupQueue(s.queue).group;
  const where = group !== undefined ? ` (worker group ${group})` : '';
  return `  ${MARK[s.status] ?? '?'} phase ${s.phase}  ${s.step_id.padEnd(28)} ${s.status}${where}${secs}${recs}${skips}${err}`;
}
