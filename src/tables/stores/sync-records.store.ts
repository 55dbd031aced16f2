import type { Queryable } from '../../db/db.js';
import { inList } from '../../db/sql-lists.js';
import type { SyncRecord } from '../domain/table-content.js';

interface RecordRow {
  row_id: string;
  page_id: string;
  notion_hash: string | null;
  supabase_hash: string | null;
}

const toRecord = (r: RecordRow): SyncRecord => ({ rowId: r.row_id, pageId: r.page_id, notionHash: r.notion_hash, supabaseHash: r.supabase_hash });

const CHUNK = 500;

/** The records of a table, by row id and by page id (those named, or all). */
export async function readSyncRecords(q: Queryable, table: string, by?: { rowIds?: readonly string[]; pageIds?: readonly string[] }): Promise<SyncRecord[]> {
  if (!by) return (await q.all<RecordRow>('SELECT row_id, page_id, notion_hash, supabase_hash FROM table_sync_records WHERE table_name = ?', [table])).map(toRecord);
  const out = new Map<string, SyncRecord>();
  for (const [column, ids] of [['row_id', by.rowIds ?? []], ['page_id', by.pageIds ?? []]] as const) {
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const chunk = unique.slice(i, i + CHUNK);
      const list = inList(q, column, chunk);
      const rows = await q.all<RecordRow>(`SELECT row_id, page_id, notion_hash, supabase_hash FROM table_sync_records WHERE table_name = ? AND ${list.sql}`, [table, ...list.params]);
      for (const r of rows) out.set(r.row_id, toRecord(r));
    }
  }
  return [...out.values()];
}

/** Record what both sides hold now (idempotent; a page relinked to another row moves its link). */
export async function saveSyncRecord(q: Queryable, table: string, r: SyncRecord, now: number): Promise<void> {
  await q.run('DELETE FROM table_sync_records WHERE table_name = ? AND page_id = ? AND row_id <> ?', [table, r.pageId, r.rowId]);
  await q.run(
    `INSERT INTO table_sync_records (table_name, row_id, page_id, notion_hash, supabase_hash, synced_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (table_name, row_id) DO UPDATE SET page_id = excluded.page_id, notion_hash = excluded.notion_hash, supabase_hash = excluded.supabase_hash, synced_at = excluded.synced_at`,
    [table, r.rowId, r.pageId, r.notionHash, r.supabaseHash, now],
  );
}

/** page id ↔ row id of every linked record of a table (for relations to it). */
export async function readLinks(q: Queryable, table: string): Promise<{ pageId: string; rowId: string }[]> {
  return (await q.all<{ page_id: string; row_id: string }>('SELECT page_id, row_id FROM table_sync_records WHERE table_name = ?', [table])).map((r) => ({ pageId: r.page_id, rowId: r.row_id }));
}

/** Notion page id ↔ contact id, through the contact hub's links to its `notion` system. */
export async function readContactLinks(q: Queryable): Promise<{ pageId: string; rowId: string }[]> {
  return (await q.all<{ external_id: string; contact_id: string }>("SELECT external_id, contact_id FROM contact_links WHERE system = 'notion'")).map((r) => ({ pageId: r.external_id, rowId: r.contact_id }));
}
