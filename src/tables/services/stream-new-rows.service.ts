import type { NotionPage } from '../../systems/notion/notion-pages.port.js';
import type { SupabaseTableRow } from '../../systems/supabase/table-rows.js';
import { noValveCanStop } from '../domain/safety-valve.js';
import { notionSide } from '../domain/record-mapper.js';
import type { SyncRecord } from '../domain/table-content.js';
import { type ApplyContext, createRows, type RecordPair } from './apply-record.service.js';
import type { PagesRead } from './read-sides.service.js';

export interface NewRowsStream {
  /** Given to the full read: each batch's new pages are written while the next batch is read. */
  onPages: PagesRead;
  /** Each page whose row was written here, as it was read (the run leaves it be unless the read answered it again, changed). */
  written: ReadonlyMap<string, NotionPage>;
  /** Relations of the written pages that point to pages not linked yet. */
  unresolved: string[];
  /** Wait for the writes started; the first write failure is thrown here. */
  done(): Promise<void>;
}

/**
 * Rows for new pages (no row, no link) written during a full run's read of Notion, one write per
 * batch of 100 pages, overlapped with the next query; only when no safety valve can stop the run
 * (noValveCanStop), so the valve's promise — nothing written when it stops a run — holds. A first
 * sync of many pages then takes about as long as Notion's rate limit lets the read take, instead
 * of that plus every write.
 */
export function streamNewRows(ctx: ApplyContext, records: readonly SyncRecord[], force: boolean): NewRowsStream {
  const linked = new Set(records.map((r) => r.pageId));
  const written = new Map<string, NotionPage>();
  const unresolved: string[] = [];
  let withRow: Set<string> | undefined;
  let open: boolean | undefined;
  let writing: Promise<void> = Promise.resolve();
  let failure: { err: unknown } | undefined;
  const onPages: PagesRead = (batch: readonly NotionPage[], rows: ReadonlyMap<string, SupabaseTableRow>) => {
    if (failure) throw failure.err;
    if (open === undefined) {
      const live = [...rows.values()].filter((r) => r.deleted_at == null).length;
      open = noValveCanStop({ mode: ctx.m.mode, force, supabaseLive: live });
      withRow = new Set([...rows.values()].flatMap((r) => (r.notion_page_id ? [r.notion_page_id] : [])));
    }
    if (!open) return;
    const pairs: RecordPair[] = [];
    for (const page of batch) {
      if (page.inTrash || withRow!.has(page.id) || linked.has(page.id) || written.has(page.id)) continue;
      const n = notionSide(page, ctx.fields, ctx.rel);
      unresolved.push(...n.unresolved.map((u) => `${page.id}: ${u}`));
      written.set(page.id, page);
      pairs.push({ notion: n, page });
    }
    if (!pairs.length) return;
    writing = writing.then(() => (failure ? undefined : createRows(ctx, pairs))).catch((err: unknown) => {
      failure ??= { err };
    });
  };
  return {
    onPages,
    written,
    unresolved,
    async done() {
      await writing;
      if (failure) throw failure.err;
    },
  };
}
