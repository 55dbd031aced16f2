import type { Queryable } from '../db/db.js';

/** Per-source sync state (style.md §4): cursor, failures, last success — in our database. */
export interface SyncStateRow {
  key: string;
  cursor: string | null;
  stage: string;
  failure_count: number;
  retry_after: number | null;
  last_success_at: number | null;
  last_error_at: number | null;
  last_error: string | null;
  /** A problem that did not fail the sync (e.g. an invalid cursor: the source was read again from the start). */
  last_warning: string | null;
  last_warning_at: number | null;
  /** Malformed records the last collection of a source skipped, and the first few (JSON). */
  last_skipped: number;
  last_skipped_sample: string | null;
  records: number;
  updated_at: number;
}

export async function readSyncState(q: Queryable, key: string): Promise<SyncStateRow | undefined> {
  return q.get<SyncStateRow>('SELECT * FROM sync_state WHERE key = ?', [key]);
}

export async function listSyncState(q: Queryable, keyPrefix: string): Promise<SyncStateRow[]> {
  return q.all<SyncStateRow>('SELECT * FROM sync_state WHERE key >= ? AND key < ? ORDER BY key', [keyPrefix, `${keyPrefix}\uffff`]);
}

/** Move the cursor forward (never back) in the same transaction as the data it covers. */
export async function saveCursor(q: Queryable, key: string, cursor: string | null): Promise<void> {
  await q.run(
    `INSERT INTO sync_state (key, cursor, stage, updated_at) VALUES (?, ?, 'running', ?)
     ON CONFLICT (key) DO UPDATE SET cursor = excluded.cursor, stage = 'running', updated_at = excluded.updated_at`,
    [key, cursor, Date.now()],
  );
}

/**
 * A success: stage idle, failures reset, the time and record count kept. `coalesceMs`: a key that
 * succeeds many times a second (a target's pushes) is left as it is while it is idle and its last
 * success is younger than that — the same row is not rewritten with every job (a page write per
 * job); a key that has failed meanwhile is always reset at once.
 */
export async function recordSuccess(q: Queryable, key: string, records: number, opts: { coalesceMs?: number; now?: number } = {}): Promise<void> {
  const now = opts.now ?? Date.now();
  const coalesce = opts.coalesceMs
    ? ` WHERE sync_state.stage <> 'idle' OR sync_state.failure_count <> 0 OR sync_state.last_success_at IS NULL OR sync_state.last_success_at <= ?`
    : '';
  await q.run(
    `INSERT INTO sync_state (key, stage, failure_count, last_success_at, records, updated_at) VALUES (?, 'idle', 0, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET stage = 'idle', failure_count = 0, last_success_at = excluded.last_success_at,
       records = excluded.records, updated_at = excluded.updated_at${coalesce}`,
    opts.coalesceMs ? [key, now, records, now, now - opts.coalesceMs] : [key, now, records, now],
  );
}

export async function recordFailure(q: Queryable, key: string, error: string): Promise<void> {
  const now = Date.now();
  await q.run(
    `INSERT INTO sync_state (key, stage, failure_count, last_error_at, last_error, updated_at) VALUES (?, 'failed', 1, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET stage = 'failed', failure_count = sync_state.failure_count + 1,
       last_error_at = excluded.last_error_at, last_error = excluded.last_error, updated_at = excluded.updated_at`,
    [key, now, error.slice(0, 2000), now],
  );
}

/** Keep a warning about a sync that went on (it does not change the stage or the failure count). */
export async function recordWarning(q: Queryable, key: string, warning: string): Promise<void> {
  const now = Date.now();
  await q.run(
    `INSERT INTO sync_state (key, last_warning_at, last_warning, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET last_warning_at = excluded.last_warning_at, last_warning = excluded.last_warning, updated_at = excluded.updated_at`,
    [key, now, warning.slice(0, 2000), now],
  );
}

/** A skipped record as kept in sync_state and shown by `kith status` and the run summary. */
export interface SkippedSample {
  file: string;
  line?: number;
  offset?: number;
  reason: string;
}

/** Skipped records kept per source (the rest are counted, not kept). */
export const SKIPPED_KEPT = 5;

/**
 * What a source's last collection skipped: the count and the first few records, replacing the
 * previous collection's (a collection that skipped nothing clears them).
 */
export async function recordSkipped(q: Queryable, key: string, count: number, sample: readonly SkippedSample[]): Promise<void> {
  const kept = sample.slice(0, SKIPPED_KEPT).map((s) => ({ file: s.file, ...(s.line !== undefined ? { line: s.line } : s.offset !== undefined ? { offset: s.offset } : {}), reason: s.reason.slice(0, 300) }));
  const now = Date.now();
  await q.run(
    `INSERT INTO sync_state (key, last_skipped, last_skipped_sample, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET last_skipped = excluded.last_skipped, last_skipped_sample = excluded.last_skipped_sample, updated_at = excluded.updated_at`,
    [key, count, count ? JSON.stringify(kept) : null, now],
  );
}

/** The kept sample of a sync_state row, parsed (empty when none). */
export function skippedSampleOf(row: Pick<SyncStateRow, 'last_skipped_sample'> | undefined): SkippedSample[] {
  if (!row?.last_skipped_sample) return [];
  try {
    return JSON.parse(row.last_skipped_sample) as SkippedSample[];
  } catch {
    return [];
  }
}

/** One skipped record in words: `file line 12: reason` (`file at byte 4096`, without a line). */
export function describeSkipped(s: SkippedSample): string {
  const where = s.line !== undefined ? ` line ${s.line}` : s.offset !== undefined ? ` at byte ${s.offset}` : '';
  return `${s.file}${where}: ${s.reason}`;
}
