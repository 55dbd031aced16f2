import { InvalidInputError, KithError, NotFoundError } from '../../errors.js';
import type { NotionPage } from '../../systems/notion/notion-pages.port.js';
import type { SupabaseTableRow } from '../../systems/supabase/table-rows.js';
import type { TableMapping } from '../config/tables-config.js';
import type { RecordAction } from '../domain/record-decision.js';
import { notionSide, pageValues, type RelationIds, type ResolvedField, rowSide, rowValues } from '../domain/record-mapper.js';
import { hashTableContent, type NotionSide, type RowSide, type SyncRecord, type TableContent } from '../domain/table-content.js';
import { saveSyncRecord } from '../stores/sync-records.store.js';
import { recordTableConflict } from '../stores/table-conflicts.store.js';
import type { TableRowsPort, TableRunReport, TableSyncDeps } from './table-sync-deps.js';

export interface RecordPair {
  notion?: NotionSide;
  /** The page as read (absent when it was synthesised for a page gone from Notion). */
  page?: NotionPage;
  row?: RowSide;
  raw?: SupabaseTableRow;
  record?: SyncRecord;
}

export interface ApplyContext {
  deps: TableSyncDeps;
  m: TableMapping;
  fields: readonly ResolvedField[];
  rel: RelationIds;
  rows: TableRowsPort;
  report: TableRunReport;
  now: number;
}

/** A per-record problem (a page with a property Notion refuses, a row violating a constraint): logged and skipped, never the run's end. */
export const isRecordError = (err: unknown) => err instanceof InvalidInputError || err instanceof NotFoundError || (err instanceof KithError && /validation|constraint/i.test(err.message));

function columns(content: TableContent, fields: readonly ResolvedField[], raw: SupabaseTableRow | undefined, nowIso: string): Record<string, unknown> {
  // A soft delete keeps the first deletion time; a restore clears it.
  return { ...rowValues(content, fields), deleted_at: content.deleted ? (raw?.deleted_at ?? nowIso) : null };
}

/** Write what the action says to the side it names, then record what both sides now hold. */
export async function applyRecord(ctx: ApplyContext, pair: RecordPair, action: RecordAction): Promise<void> {
  const { deps, m, fields, rel, rows, report } = ctx;
  const nowIso = new Date(ctx.now).toISOString();
  const save = (r: SyncRecord) => saveSyncRecord(deps.db, m.name, r, ctx.now);
  const side = (page: NotionPage) => notionSide(page, fields, rel);
  const writeRow = async (content: TableContent, pageId: string, editedAt: string) => {
    const values = columns(content, fields, pair.raw, nowIso);
    const written = pair.row && !pair.row.missing ? await rows.update(pair.row.rowId, values, { pageId, pageEditedAt: editedAt }) : await rows.upsertForPage(pageId, values, editedAt);
    return rowSide(written, fields);
  };
  switch (action.kind) {
    case 'none':
      report.unchanged++;
      return;
    case 'skip':
      report.skipped.push({ id: pair.notion?.pageId ?? pair.row?.rowId ?? '?', reason: action.reason });
      return;
    case 'link': {
      await save({ rowId: pair.row!.rowId, pageId: pair.notion!.pageId, notionHash: hashTableContent(pair.notion!.content), supabaseHash: hashTableContent(pair.row!.content) });
      report.linked++;
      return;
    }
    case 'create-row':
    case 'update-row': {
      const n = pair.notion!;
      const row = await writeRow(action.content, n.pageId, n.editedAt);
      await save({ rowId: row.rowId, pageId: n.pageId, notionHash: hashTableContent(n.content), supabaseHash: hashTableContent(row.content) });
      if (action.kind === 'create-row' || pair.row?.missing) report.supabase.created++;
      else if (action.content.deleted && !pair.row!.content.deleted) report.supabase.deleted++;
      else if (action.reason === 'restore') report.supabase.restored++;
      else report.supabase.updated++;
      if (action.kind === 'update-row' && action.conflict) await keepLoser(ctx, pair, action.conflict.loser, action.conflict.loserContent, action.conflict.winnerContent);
      if (action.kind === 'update-row' && action.reason === 'restore') deps.log.info({ table: m.name, row: row.rowId }, `table ${m.name}: row ${row.rowId} was edited in Supabase; restored from Notion (one-way)`);
      return;
    }
    case 'create-page': {
      const r = pair.row!;
      const page = await deps.pages.create(m.dataSourceId, pageValues(action.content, fields, rel));
      report.notion.created++;
      const n = side(page);
      // The row learns its page; its content is written again only when Notion computed something for it.
      const row = await writeRow(hashTableContent(n.content) === hashTableContent(r.content) ? r.content : n.content, page.id, page.lastEditedTime);
      await save({ rowId: r.rowId, pageId: page.id, notionHash: hashTableContent(n.content), supabaseHash: hashTableContent(row.content) });
      return;
    }
    case 'update-page': {
      const pageId = pair.notion!.pageId;
      const page = await deps.pages.update(pageId, pageValues(action.content, fields, rel), { inTrash: action.content.deleted });
      if (action.content.deleted && !pair.notion!.content.deleted) report.notion.trashed++;
      else report.notion.updated++;
      const n = side(page);
      const hn = hashTableContent(n.content);
      let rowHash = pair.row ? hashTableContent(pair.row.content) : null;
      if (pair.row && !pair.row.missing && hn !== rowHash) {
        // Notion computes some values (read-only properties): the row takes them, so both sides agree.
        const row = await writeRow(n.content, pageId, page.lastEditedTime);
        rowHash = hashTableContent(row.content);
      }
      if (pair.row && !pair.row.missing) await save({ rowId: pair.row.rowId, pageId, notionHash: hn, supabaseHash: rowHash });
      if (action.conflict) await keepLoser(ctx, pair, action.conflict.loser, action.conflict.loserContent, action.conflict.winnerContent);
      return;
    }
  }
}

async function keepLoser(ctx: ApplyContext, pair: RecordPair, loser: 'notion' | 'supabase', loserContent: TableContent, winnerContent: TableContent): Promise<void> {
  const n = pair.notion!;
  const r = pair.row!;
  const sideOf = (s: 'notion' | 'supabase', content: TableContent) =>
    s === 'notion' ? { system: s, id: n.pageId, updatedAt: n.editedAt, content } : { system: s, id: r.rowId, updatedAt: r.updatedAt, content };
  const c = await recordTableConflict(ctx.deps.db, ctx.m.name, r.rowId, sideOf(loser === 'notion' ? 'supabase' : 'notion', winnerContent), sideOf(loser, loserContent), ctx.now);
  ctx.report.conflicts.push(c.id);
  if (c.created) {
    await ctx.deps.alerts.raise({
      kind: 'new_conflict',
      subject: `table ${ctx.m.name}`,
      message: `table ${ctx.m.name}: record ${r.rowId} was edited in Notion and in Supabase since the last sync; the ${loser === 'notion' ? 'Supabase' : 'Notion'} edit (newer) won, the other is kept as conflict ${c.id} (kith tables conflicts)`,
      details: { table: ctx.m.name, row: r.rowId, page: n.pageId, conflict: c.id },
    });
  }
}

/** Rows created per request when a run creates many (a first sync). */
export const CREATES_PER_WRITE = 500;

/**
 * New rows of new pages, 500 a request; a request refused (a row violating a constraint) is
 * written again one row at a time, so only the offending record is skipped.
 */
export async function createRows(ctx: ApplyContext, pairs: readonly RecordPair[]): Promise<void> {
  const { deps, m, fields, rows, report } = ctx;
  for (let i = 0; i < pairs.length; i += CREATES_PER_WRITE) {
    const chunk = pairs.slice(i, i + CREATES_PER_WRITE);
    let written;
    try {
      written = await rows.upsertManyForPages(chunk.map((p) => ({ pageId: p.notion!.pageId, values: columns(p.notion!.content, fields, undefined, new Date(ctx.now).toISOString()), pageEditedAt: p.notion!.editedAt })));
    } catch (err) {
      if (!isRecordError(err)) throw err;
      for (const p of chunk) {
        try {
          await applyRecord(ctx, p, { kind: 'create-row', content: p.notion!.content });
        } catch (e) {
          if (!isRecordError(e)) throw e;
          report.failed.push({ id: p.notion!.pageId, error: (e as Error).message });
        }
      }
      continue;
    }
    const byPage = new Map(chunk.map((p) => [p.notion!.pageId, p.notion!]));
    for (const raw of written) {
      const n = byPage.get(String(raw.notion_page_id));
      if (!n) continue;
      const row = rowSide(raw, fields);
      await saveSyncRecord(deps.db, m.name, { rowId: row.rowId, pageId: n.pageId, notionHash: hashTableContent(n.content), supabaseHash: hashTableContent(row.content) }, ctx.now);
      report.supabase.created++;
    }
  }
}
