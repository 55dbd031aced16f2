import { randomUUID } from 'node:crypto';
import type { SupabaseClient } from '@supabase/supabase-js';
import { type PostgrestErrorLike, supabaseError } from './supabase-errors.js';

const PAGE = 1000;
const IDS_PER_READ = 100;

interface Result<T> {
  data: T | null;
  error: PostgrestErrorLike | null;
  status: number;
}

/** A row as PostgREST returns it: its columns, with the sync columns of table-sync-columns.sql. */
export type SupabaseTableRow = Record<string, unknown> & { id: string; notion_page_id: string | null; updated_at: string; deleted_at: string | null };

/**
 * One synced Supabase table through supabase-js: whole reads and change reads by updated_at,
 * reads by id or Notion page id, and Kith's writes (each with a fresh sync_write_id, so the
 * table's trigger knows them from edits made in Supabase). Rows are never deleted.
 */
export class SupabaseTableRows {
  constructor(
    readonly client: SupabaseClient,
    readonly table: string,
  ) {}

  /** Every row (deleted ones too), 1,000 a request, in id order. */
  async *readAll(): AsyncIterable<SupabaseTableRow[]> {
    for (let from = 0; ; from += PAGE) {
      const res = (await this.client.from(this.table).select('*').order('id', { ascending: true }).range(from, from + PAGE - 1)) as Result<SupabaseTableRow[]>;
      const rows = this.check(res, 'read rows') ?? [];
      if (rows.length) yield rows;
      if (rows.length < PAGE) return;
    }
  }

  /** Rows changed at or after `since` (ISO), oldest first. */
  async *readChanged(since: string): AsyncIterable<SupabaseTableRow[]> {
    for (let from = 0; ; from += PAGE) {
      const res = (await this.client
        .from(this.table)
        .select('*')
        .gte('updated_at', since)
        .order('updated_at', { ascending: true })
        .order('id', { ascending: true })
        .range(from, from + PAGE - 1)) as Result<SupabaseTableRow[]>;
      const rows = this.check(res, 'read changes') ?? [];
      if (rows.length) yield rows;
      if (rows.length < PAGE) return;
    }
  }

  async readBy(column: 'id' | 'notion_page_id', values: readonly string[]): Promise<SupabaseTableRow[]> {
    const out: SupabaseTableRow[] = [];
    const ids = [...new Set(values)];
    for (let i = 0; i < ids.length; i += IDS_PER_READ) {
      const res = (await this.client.from(this.table).select('*').in(column, ids.slice(i, i + IDS_PER_READ))) as Result<SupabaseTableRow[]>;
      out.push(...(this.check(res, `read ${column}`) ?? []));
    }
    return out;
  }

  /** Create or overwrite the row of a page (upsert on notion_page_id); answers the row as written. */
  async upsertForPage(pageId: string, values: Record<string, unknown>, pageEditedAt: string): Promise<SupabaseTableRow> {
    const res = (await this.client
      .from(this.table)
      .upsert({ ...values, notion_page_id: pageId, notion_updated_at: pageEditedAt, last_sync_source: 'notion', sync_write_id: randomUUID() }, { onConflict: 'notion_page_id' })
      .select('*')
      .single()) as Result<SupabaseTableRow>;
    return this.check(res, `write the row of page ${pageId}`)!;
  }

  /** Create or overwrite the rows of many pages in one request (upsert on notion_page_id); answers the rows as written. */
  async upsertManyForPages(items: readonly { pageId: string; values: Record<string, unknown>; pageEditedAt: string }[]): Promise<SupabaseTableRow[]> {
    if (!items.length) return [];
    const writeId = randomUUID();
    const body = items.map((it) => ({ ...it.values, notion_page_id: it.pageId, notion_updated_at: it.pageEditedAt, last_sync_source: 'notion', sync_write_id: writeId }));
    const res = (await this.client.from(this.table).upsert(body, { onConflict: 'notion_page_id' }).select('*')) as Result<SupabaseTableRow[]>;
    return this.check(res, `write the rows of ${items.length} pages`) ?? [];
  }

  /** Update one row by id (a soft delete keeps a deletion time already set). */
  async update(id: string, values: Record<string, unknown>, stamp: { pageId?: string; pageEditedAt?: string } = {}): Promise<SupabaseTableRow> {
    const set: Record<string, unknown> = { ...values, last_sync_source: 'notion', sync_write_id: randomUUID() };
    if (stamp.pageId) set.notion_page_id = stamp.pageId;
    if (stamp.pageEditedAt) set.notion_updated_at = stamp.pageEditedAt;
    const res = (await this.client.from(this.table).update(set).eq('id', id).select('*').single()) as Result<SupabaseTableRow>;
    return this.check(res, `update row ${id}`)!;
  }

  private check<T>(res: Result<T>, context: string): T | null {
    if (res.error) throw supabaseError(res.error, res.status, `${this.table}: ${context}`);
    return res.data;
  }
}
