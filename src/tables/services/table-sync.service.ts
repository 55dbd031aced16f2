import { FatalError } from '../../errors.js';
import { recordSyncLog } from '../../sync/sync-log.store.js';
import { readSyncState, recordFailure, recordSuccess, saveCursor } from '../../sync/sync-state.store.js';
import type { TableMapping } from '../config/tables-config.js';
import { decideRecord, type RecordAction } from '../domain/record-decision.js';
import { notionSide, resolveFields, rowSide } from '../domain/record-mapper.js';
import { valveProblem } from '../domain/safety-valve.js';
import { hashTableContent, type SyncRecord } from '../domain/table-content.js';
import { readSyncRecords } from '../stores/sync-records.store.js';
import { type ApplyContext, applyRecord, createRows, isRecordError, type RecordPair } from './apply-record.service.js';
import { loadRelations } from './relations.service.js';
import { readSides, runKind } from './read-sides.service.js';
import { streamNewRows } from './stream-new-rows.service.js';
import { emptyReport, type PlannedWrite, type RunOptions, type TableRunReport, type TableSyncDeps } from './table-sync-deps.js';

/** sync_state keys of a table: its run (last success, errors) and one cursor per side. */
export const tableStateKey = (name: string, part?: 'notion' | 'supabase') => `tables:${name}${part ? `:${part}` : ''}`;

/**
 * One run of one mapped table: read (whole, since the cursors, or the records named), pair pages
 * with rows, decide each record (pure), stop at the safety valve, write, and record links,
 * cursors, sync_logs and the table's state. A record that fails on its own is logged and
 * skipped; anything else (auth, an outage, a broken mapping) fails the run.
 */
export async function runTableSync(deps: TableSyncDeps, m: TableMapping, opts: RunOptions = {}): Promise<TableRunReport> {
  const clock = deps.clock ?? Date.now;
  const started = clock();
  const { fields, problems } = resolveFields(m, await deps.pages.schema(m.dataSourceId));
  if (problems.length) throw new FatalError(problems.join('; '), 'table_mapping');
  const rel = await loadRelations(deps.db, fields);
  const rowsPort = deps.rows(m.table);
  const cursors = {
    notion: (await readSyncState(deps.db, tableStateKey(m.name, 'notion')))?.cursor ?? undefined,
    supabase: (await readSyncState(deps.db, tableStateKey(m.name, 'supabase')))?.cursor ?? undefined,
  };
  const report = emptyReport(m, runKind(opts, cursors), !!opts.dryRun);
  const ctx: ApplyContext = { deps, m, fields, rel, rows: rowsPort, report, now: started };
  const full = report.kind === 'full';
  // A full run knows every record before it reads: rows of new pages may then be written as their pages arrive.
  const allRecords = full ? await readSyncRecords(deps.db, m.name) : undefined;
  const stream = allRecords && !opts.dryRun ? streamNewRows(ctx, allRecords, !!opts.force) : undefined;
  let read;
  try {
    read = await readSides(deps, m, opts, cursors, started, stream?.onPages);
  } finally {
    await stream?.done();
  }
  report.read = { notion: read.pages.size, supabase: read.rows.size };

  // Records of what was read; rows of the pages read (and of their records) that were not.
  const records = allRecords ?? (await readSyncRecords(deps.db, m.name, { rowIds: [...read.rows.keys()], pageIds: [...read.pages.keys()] }));
  const recByRow = new Map(records.map((r) => [r.rowId, r]));
  const recByPage = new Map(records.map((r) => [r.pageId, r]));
  if (!full) {
    const known = new Set([...read.rows.values()].map((r) => r.notion_page_id));
    const byPage = [...read.pages.keys()].filter((id) => !known.has(id));
    if (byPage.length) for (const r of await rowsPort.readBy('notion_page_id', byPage)) read.rows.set(String(r.id), r);
    const byId = records.map((r) => r.rowId).filter((id) => !read.rows.has(id));
    if (byId.length) for (const r of await rowsPort.readBy('id', byId)) read.rows.set(String(r.id), r);
  }
  const liveRows = [...read.rows.values()].filter((r) => r.deleted_at == null).length;
  const livePages = [...read.pages.values()].filter((p) => !p.inTrash).length;
  if (full && !opts.force) {
    const problem =
      valveProblem({ destination: 'supabase', destinationLive: liveRows, sourceLive: livePages, deletes: 0, minSourceShare: m.minSourceShare, maxDeleteShare: m.maxDeleteShare }) ??
      (m.mode === 'two-way' ? valveProblem({ destination: 'notion', destinationLive: livePages, sourceLive: liveRows, deletes: 0, minSourceShare: m.minSourceShare, maxDeleteShare: m.maxDeleteShare }) : undefined);
    if (problem) return abort(deps, m, report, problem, started);
  }

  // Pair every page with its row.
  const pairs: RecordPair[] = [];
  const paired = new Set<string>();
  const rowByPage = new Map([...read.rows.values()].filter((r) => r.notion_page_id).map((r) => [r.notion_page_id!, r]));
  const unresolved: string[] = [...(stream?.unresolved ?? [])];
  for (const page of read.pages.values()) {
    // Its row was written during the read, from this very answer.
    if (stream?.written.get(page.id) === page) continue;
    const n = notionSide(page, fields, rel);
    unresolved.push(...n.unresolved.map((u) => `${page.id}: ${u}`));
    const record = recByPage.get(page.id);
    const raw = rowByPage.get(page.id) ?? (record ? read.rows.get(record.rowId) : undefined);
    if (raw) {
      paired.add(String(raw.id));
      pairs.push({ notion: n, page, raw, row: rowSide(raw, fields), record: record ?? recByRow.get(String(raw.id)) });
    } else if (record) {
      pairs.push({ notion: n, page, record, row: { rowId: record.rowId, pageId: page.id, updatedAt: new Date(started).toISOString(), content: n.content, missing: true } });
    } else pairs.push({ notion: n, page });
  }
  // Rows whose page was not read: fetched when it matters (a full run's missing page, a changed or unlinked row).
  for (const raw of read.rows.values()) {
    const id = String(raw.id);
    if (paired.has(id)) continue;
    const row = rowSide(raw, fields);
    const record = recByRow.get(id);
    const pageId = raw.notion_page_id ?? record?.pageId;
    if (!pageId) {
      pairs.push({ row, raw, record });
      continue;
    }
    const changed = !record || record.supabaseHash !== hashTableContent(row.content);
    if (!full && !changed) {
      pairs.push({ row, raw, record });
      continue;
    }
    const page = await deps.pages.get(pageId);
    const n = page ? notionSide(page, fields, rel) : { pageId, editedAt: new Date(started).toISOString(), content: { ...row.content, deleted: true }, unresolved: [] };
    pairs.push({ notion: n, page, row, raw, record });
  }
  if (unresolved.length) deps.log.info({ table: m.name, unresolved: unresolved.slice(0, 10) }, `table ${m.name}: ${unresolved.length} relation(s) point to pages not linked yet; a full run after their table's sync links them`);

  const decided = pairs.map((p) => ({ pair: p, action: decideRecord({ mode: m.mode, notion: p.notion, row: p.row, record: p.record }) }));
  const deletes = countDeletes(decided);
  if (!opts.force) {
    const linked = full ? undefined : await countLinked(deps, m.name);
    const problem =
      valveProblem({ destination: 'supabase', destinationLive: linked ?? liveRows, deletes: deletes.supabase, minSourceShare: m.minSourceShare, maxDeleteShare: m.maxDeleteShare }) ??
      valveProblem({ destination: 'notion', destinationLive: linked ?? livePages, deletes: deletes.notion, minSourceShare: m.minSourceShare, maxDeleteShare: m.maxDeleteShare });
    if (problem) return abort(deps, m, report, problem, started);
  }
  if (opts.dryRun) {
    report.planned = decided.flatMap(({ pair, action }) => planned(pair, action));
    return report;
  }

  // Rows for new pages in batches; every other record on its own.
  const isCreate = (d: (typeof decided)[number]) => d.action.kind === 'create-row' && !d.pair.row;
  await createRows(ctx, decided.filter(isCreate).map((d) => d.pair));
  for (const { pair, action } of decided.filter((d) => !isCreate(d))) {
    try {
      await applyRecord(ctx, pair, action);
    } catch (err) {
      if (!isRecordError(err)) throw err;
      const id = pair.notion?.pageId ?? pair.row?.rowId ?? '?';
      report.failed.push({ id, error: (err as Error).message });
      deps.log.warn({ table: m.name, record: id, err: (err as Error).message }, `table ${m.name}: record ${id} skipped`);
    }
  }
  if (read.kind !== 'records') {
    if (read.notionCursor) await saveCursor(deps.db, tableStateKey(m.name, 'notion'), read.notionCursor);
    if (read.supabaseCursor) await saveCursor(deps.db, tableStateKey(m.name, 'supabase'), read.supabaseCursor);
  }
  await finish(deps, m, report, started);
  return report;
}

function countDeletes(decided: readonly { pair: RecordPair; action: RecordAction }[]): { supabase: number; notion: number } {
  let supabase = 0;
  let notion = 0;
  for (const { pair, action } of decided) {
    if ((action.kind === 'update-row') && action.content.deleted && pair.row && !pair.row.content.deleted && !pair.row.missing) supabase++;
    if (action.kind === 'update-page' && action.content.deleted && pair.notion && !pair.notion.content.deleted) notion++;
  }
  return { supabase, notion };
}

async function countLinked(deps: TableSyncDeps, table: string): Promise<number> {
  return Number((await deps.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM table_sync_records WHERE table_name = ?', [table]))?.n ?? 0);
}

function planned(pair: RecordPair, a: RecordAction): PlannedWrite[] {
  const pageId = pair.notion?.pageId ?? pair.row?.pageId ?? '(new page)';
  const rowId = pair.row?.rowId ?? '(new row)';
  switch (a.kind) {
    case 'create-row':
      return [{ side: 'supabase', action: 'create', id: pageId }];
    case 'update-row':
      return [{ side: 'supabase', action: a.content.deleted && !pair.row?.content.deleted ? 'trash' : a.reason === 'restore' ? 'restore' : 'update', id: rowId, reason: a.reason }];
    case 'create-page':
      return [{ side: 'notion', action: 'create', id: rowId }];
    case 'update-page':
      return [{ side: 'notion', action: a.content.deleted && !pair.notion?.content.deleted ? 'trash' : 'update', id: pageId, reason: a.reason }];
    default:
      return [];
  }
}

const countsOf = (r: TableRunReport) => ({
  created: r.supabase.created + r.notion.created,
  updated: r.supabase.updated + r.supabase.restored + r.notion.updated,
  deleted: r.supabase.deleted + r.notion.trashed,
  unchanged: r.unchanged + r.linked,
  skipped: r.skipped.length,
  failed: r.failed.length,
});

async function finish(deps: TableSyncDeps, m: TableMapping, report: TableRunReport, started: number): Promise<void> {
  const now = (deps.clock ?? Date.now)();
  const c = countsOf(report);
  await recordSyncLog(deps.db, {
    kind: 'table-sync',
    status: 'succeeded',
    system: m.name,
    counts: c,
    startedAt: started,
    durationMs: now - started,
    message: `table ${m.name} (${m.mode}, ${report.kind}): Notion ${report.notion.created} created, ${report.notion.updated} updated, ${report.notion.trashed} trashed; Supabase ${report.supabase.created} created, ${report.supabase.updated} updated, ${report.supabase.restored} restored, ${report.supabase.deleted} deleted; ${report.conflicts.length} conflict(s)`,
    details: { ...report, planned: undefined },
    at: now,
  });
  await recordSuccess(deps.db, tableStateKey(m.name), report.read.notion + report.read.supabase, { now });
  await deps.alerts.clear('sync_failure', `table ${m.name}`);
  await deps.alerts.clear('safety_valve', `table ${m.name}`);
}

/** The safety valve stopped the run: nothing written, an error logged and alerted. */
async function abort(deps: TableSyncDeps, m: TableMapping, report: TableRunReport, problem: string, started: number): Promise<TableRunReport> {
  report.aborted = problem;
  if (report.dryRun) return report;
  const now = (deps.clock ?? Date.now)();
  const message = `table ${m.name}: safety valve: ${problem} (run \`kith tables sync ${m.name} --force\` once if this is intended)`;
  deps.log.error({ table: m.name, read: report.read }, message);
  await recordSyncLog(deps.db, { kind: 'table-sync', status: 'failed', system: m.name, startedAt: started, durationMs: now - started, error: message, message, details: { ...report, planned: undefined }, at: now });
  await recordFailure(deps.db, tableStateKey(m.name), message);
  await deps.alerts.raise({ kind: 'safety_valve', subject: `table ${m.name}`, message, details: { table: m.name, read: report.read } });
  return report;
}

export type { SyncRecord };
