import { FatalError, KithError, RateLimitedError, TemporaryError } from '../../errors.js';
import { recordSyncLog } from '../../sync/sync-log.store.js';
import { recordFailure } from '../../sync/sync-state.store.js';
import { runOrder, type TableMapping } from '../config/tables-config.js';
import type { TablesJobData } from '../jobs/table-queues.js';
import type { RunOptions, TableRunReport, TableSyncDeps } from './table-sync-deps.js';
import { runTableSync, tableStateKey } from './table-sync.service.js';

/** Error kinds a table's failures are counted by (an alert per table and kind). */
const ERROR_KINDS = ['TemporaryError', 'RateLimitedError', 'AuthError', 'FatalError', 'InvalidInputError', 'NotFoundError', 'Error'] as const;

const errorKind = (err: unknown) => {
  const n = err instanceof Error ? err.constructor.name : 'Error';
  return (ERROR_KINDS as readonly string[]).includes(n) ? n : 'Error';
};

/** A transient error (an outage, a rate limit) is alerted once it repeats; any other at once. */
export const isTransient = (err: unknown) => err instanceof TemporaryError || err instanceof RateLimitedError;

export function tableByName(deps: TableSyncDeps, name: string): TableMapping {
  const m = deps.tables.find((t) => t.name === name);
  if (!m) throw new FatalError(`no mapped table '${name}' (kith.config.yaml tables: ${deps.tables.map((t) => t.name).join(', ') || 'none'})`, 'table_unknown');
  return m;
}

/**
 * One table's run with its failure recorded: sync_state, a failed sync_logs row, and an alert
 * per table and error kind — a transient one from its fifth repeat (counted in Redis by the
 * alerter, so restarts and other processes count along), anything else at once. Rethrows, so
 * the job is retried as its error says.
 */
export async function runTableReported(deps: TableSyncDeps, m: TableMapping, opts: RunOptions): Promise<TableRunReport> {
  const started = (deps.clock ?? Date.now)();
  try {
    const report = await runTableSync(deps, m, opts);
    if (!report.aborted && !opts.dryRun) for (const k of ERROR_KINDS) await deps.alerts.clear('sync_failure', `table ${m.name}: ${k}`);
    return report;
  } catch (err) {
    const message = `table ${m.name}: ${(err as Error).message}`;
    const kind = errorKind(err);
    deps.log.error({ table: m.name, kind, code: err instanceof KithError ? err.code : undefined }, message);
    if (!opts.dryRun) {
      await recordFailure(deps.db, tableStateKey(m.name), message);
      await recordSyncLog(deps.db, { kind: 'table-sync', status: 'failed', system: m.name, startedAt: started, durationMs: (deps.clock ?? Date.now)() - started, error: message, details: { kind, options: opts } });
      await deps.alerts.raise({ kind: 'sync_failure', subject: `table ${m.name}: ${kind}`, message, details: { table: m.name, error_kind: kind } }, { transient: isTransient(err) });
    }
    throw err;
  }
}

/** A job of the tables-sync queue. */
export async function runTablesJob(deps: TableSyncDeps, data: TablesJobData): Promise<TableRunReport[]> {
  if (data.kind === 'run') {
    const wanted = new Set(data.tables);
    for (const n of wanted) tableByName(deps, n);
    const out: TableRunReport[] = [];
    for (const m of runOrder(deps.tables).filter((t) => wanted.has(t.name))) out.push(await runTableReported(deps, m, { full: data.full, hours: data.hours, force: data.force }));
    return out;
  }
  if (data.kind === 'row') {
    const m = deps.tables.find((t) => t.table === data.supabaseTable);
    if (!m) return [];
    return [await runTableReported(deps, m, { rowIds: [data.rowId] })];
  }
  const page = await deps.pages.get(data.pageId);
  const m = page && deps.tables.find((t) => t.dataSourceId === page.dataSourceId);
  if (!m) {
    // A page of no mapped table, or one gone from Notion: a linked one is settled by the next full run.
    deps.log.debug({ page: data.pageId }, 'notion webhook: the page belongs to no mapped table');
    return [];
  }
  return [await runTableReported(deps, m, { pageIds: [data.pageId], prefetched: [page] })];
}
