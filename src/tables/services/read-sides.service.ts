import type { NotionPage } from '../../systems/notion/notion-pages.port.js';
import type { SupabaseTableRow } from '../../systems/supabase/table-rows.js';
import type { TableMapping } from '../config/tables-config.js';
import type { RunOptions, TableSyncDeps } from './table-sync-deps.js';

/** Notion's last_edited_time is whole minutes: an incremental read starts this far before the cursor. */
export const NOTION_OVERLAP_MS = 2 * 60_000;
/** Supabase's updated_at is taken when a statement runs, not when it commits: a small overlap. */
export const SUPABASE_OVERLAP_MS = 60_000;

export interface SidesRead {
  kind: 'full' | 'incremental' | 'records';
  pages: Map<string, NotionPage>;
  rows: Map<string, SupabaseTableRow>;
  /** Whether each side was read whole (for the safety valve's source share). */
  wholeNotion: boolean;
  wholeSupabase: boolean;
  notionCursor?: string;
  supabaseCursor?: string;
}

const later = (a: string | undefined, b: string) => (!a || Date.parse(b) > Date.parse(a) ? b : a);

/** What a run reads: the records a webhook named, both sides whole, or what changed since the cursors (none stored yet: whole). */
export function runKind(opts: RunOptions, cursors: { notion?: string; supabase?: string }): SidesRead['kind'] {
  if (opts.pageIds?.length || opts.rowIds?.length) return 'records';
  return opts.full || (!opts.hours && (!cursors.notion || !cursors.supabase)) ? 'full' : 'incremental';
}

/** Told of each batch of pages a full read answers, with every row already read (Supabase is read first). */
export type PagesRead = (batch: readonly NotionPage[], rows: ReadonlyMap<string, SupabaseTableRow>) => void;

/**
 * Read what this run looks at: both sides whole (full), what changed since the stored cursors
 * minus their overlap (incremental; no cursor yet means full), or the records a webhook named.
 */
export async function readSides(deps: TableSyncDeps, m: TableMapping, opts: RunOptions, cursors: { notion?: string; supabase?: string }, now: number, onPages?: PagesRead): Promise<SidesRead> {
  const rowsPort = deps.rows(m.table);
  const pages = new Map<string, NotionPage>();
  const rows = new Map<string, SupabaseTableRow>();
  let notionCursor: string | undefined;
  let supabaseCursor: string | undefined;
  const addPages = (list: readonly NotionPage[]) => {
    for (const p of list) {
      pages.set(p.id, p);
      notionCursor = later(notionCursor, p.lastEditedTime);
    }
  };
  const addRows = (list: readonly SupabaseTableRow[]) => {
    for (const r of list) {
      rows.set(String(r.id), r);
      supabaseCursor = later(supabaseCursor, r.updated_at);
    }
  };
  if (opts.pageIds?.length || opts.rowIds?.length) {
    for (const id of opts.pageIds ?? []) {
      const p = opts.prefetched?.find((x) => x.id === id) ?? (await deps.pages.get(id));
      if (p) pages.set(p.id, p);
    }
    if (opts.rowIds?.length) for (const r of await rowsPort.readBy('id', opts.rowIds)) rows.set(String(r.id), r);
    return { kind: 'records', pages, rows, wholeNotion: false, wholeSupabase: false };
  }
  if (runKind(opts, cursors) === 'full') {
    // Supabase first (a few large requests), so that each page batch can be acted on while the next is read.
    for await (const batch of rowsPort.readAll()) addRows(batch);
    for await (const batch of deps.pages.query(m.dataSourceId)) {
      addPages(batch);
      onPages?.(batch, rows);
    }
    // A side that answered nothing is read from this run's start next time.
    const start = new Date(now).toISOString();
    return { kind: 'full', pages, rows, wholeNotion: true, wholeSupabase: true, notionCursor: notionCursor ?? start, supabaseCursor: supabaseCursor ?? start };
  }
  const since = (cursor: string | undefined, overlap: number) => new Date(opts.hours ? now - opts.hours * 3_600_000 : Date.parse(cursor!) - overlap).toISOString();
  for await (const batch of deps.pages.query(m.dataSourceId, { editedSince: since(cursors.notion, NOTION_OVERLAP_MS) })) addPages(batch);
  for await (const batch of rowsPort.readChanged(since(cursors.supabase, SUPABASE_OVERLAP_MS))) addRows(batch);
  return { kind: 'incremental', pages, rows, wholeNotion: false, wholeSupabase: false, notionCursor: notionCursor ?? cursors.notion, supabaseCursor: supabaseCursor ?? cursors.supabase };
}
