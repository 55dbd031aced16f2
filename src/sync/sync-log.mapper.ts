import type { SyncCounts, SyncLogEntry } from './sync-log.store.js';

/** The step row's columns a log row is made from. */
export interface FinishedStepRow {
  run_id: string;
  step_id: string;
  status: string;
  started_at: number | string | null;
  finished_at: number | string | null;
  result: string | null;
  error: string | null;
}

/** A finished step's log row; `counts` are what the step's declaration reported (none for a step that did not run). */
export function stepLogEntry(s: FinishedStepRow, counts: Partial<SyncCounts> = {}, now = Date.now()): SyncLogEntry {
  const result = s.result == null ? undefined : (JSON.parse(s.result) as unknown);
  const started = s.started_at == null ? null : Number(s.started_at);
  const finished = s.finished_at == null ? now : Number(s.finished_at);
  return {
    // One row per step of a run, whoever writes it first.
    id: `step:${s.run_id}:${s.step_id}`,
    kind: 'sync-step',
    status: s.status,
    runId: s.run_id,
    stepId: s.step_id,
    counts,
    startedAt: started,
    durationMs: started == null ? null : Math.max(0, finished - started),
    error: s.error,
    details: result,
    at: finished,
  };
}

/** A hub sweep of one system, as the sweep reports it. */
export interface SweptSystem {
  system: string;
  role: 'source' | 'canonical';
  read: number;
  counts: Record<string, number>;
  pages: number;
  error?: string;
}

/**
 * Where each outcome of a record read by a source system's sweep counts:
 * - created, updated: the canonical record was created or updated from the system's copy
 *   (a deletion arrives as a copy with its deletion time and is applied as an update, so
 *   deleted stays 0);
 * - same_content, echo (Kith's own write read back), write_back (the copy lost to the
 *   canonical record, whose value is written back to the system): the canonical record is
 *   unchanged;
 * - conflict (left for a person to resolve), missing (a deletion of a record never linked): skipped.
 * A failing record stops the system's sweep: the row is `failed` with the error, and failed
 * stays 0. The canonical store's sweep changes no record (it fans changed ones out): its
 * figures stay 0 and what it read is in details.
 */
const SWEEP_OUTCOME: Record<string, keyof SyncCounts> = {
  created: 'created',
  updated: 'updated',
  canonical_change: 'updated',
  same_content: 'unchanged',
  echo: 'unchanged',
  write_back: 'unchanged',
  conflict: 'skipped',
  missing: 'skipped',
};

export function sweepLogEntry(s: SweptSystem, startedAt: number, finishedAt: number): SyncLogEntry {
  const counts: Partial<SyncCounts> = {};
  if (s.role === 'source') {
    for (const [outcome, n] of Object.entries(s.counts)) {
      const to = SWEEP_OUTCOME[outcome];
      if (to) counts[to] = (counts[to] ?? 0) + n;
    }
  }
  return {
    kind: 'hub-sweep',
    status: s.error ? 'failed' : 'succeeded',
    system: s.system,
    counts,
    startedAt,
    durationMs: Math.max(0, finishedAt - startedAt),
    error: s.error ?? null,
    details: { role: s.role, read: s.read, pages: s.pages, outcomes: s.counts },
    at: finishedAt,
  };
}
