import { COUNT_NAMES, type SyncLog } from '../../sync/sync-log.store.js';

const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
const secs = (ms: number | null) => (ms == null ? '-' : ms < 10_000 ? `${(ms / 1000).toFixed(2)}s` : `${(ms / 1000).toFixed(1)}s`);

/** `created 3, unchanged 5`: the figures that are not 0 (a sweep adds what it read). */
export function countsText(l: SyncLog): string {
  const parts = COUNT_NAMES.filter((n) => l.counts[n]).map((n) => `${n} ${l.counts[n]}`);
  const read = (l.details as { read?: unknown } | null)?.read;
  if (l.kind === 'hub-sweep' && typeof read === 'number') parts.unshift(`read ${read}`);
  return parts.join(', ') || '-';
}

/** The `kith status --history` table, newest first, one line a row. */
export function historyTable(logs: readonly SyncLog[]): string {
  if (!logs.length) return 'no sync history yet: run `kith sync` (contact sweeps are logged as they run)';
  const rows = logs.map((l) => [
    when(l.finishedAt),
    l.kind === 'sync-step' ? `${l.runId ?? '?'} ${l.stepId ?? '?'}` : `sweep ${l.system ?? '?'}`,
    l.status,
    countsText(l),
    secs(l.durationMs),
    l.error ?? '',
  ]);
  const head = ['when', 'run/step or system', 'outcome', 'records', 'duration', 'error'];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : i === 4 ? c.padStart(width[i]!) : c.padEnd(width[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}
