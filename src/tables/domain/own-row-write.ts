/**
 * `last_sync_source` of a row as Kith wrote it. Kith's writes set it together with a fresh
 * `sync_write_id`; the table's trigger (sql/table-sync-columns.sql) sets `'supabase'` on every
 * other insert or update, so the value tells Kith's writes from edits made in Supabase.
 */
export const KITH_ROW_SOURCE = 'notion';

/**
 * Whether a Database Webhook's row change is Kith's own write coming back. Such a change carries
 * nothing to sync, and a job queued for it would run later against whatever the row holds by
 * then: an edit made after Kith's write would be carried by that stale job, racing the next edit
 * on the Notion side (which it could overwrite, or turn from a conflict into a plain edit). The
 * edit has a webhook of its own. A hard delete is never Kith's (Kith never deletes rows).
 */
export function isOwnRowWrite(change: { type: 'INSERT' | 'UPDATE' | 'DELETE'; record?: Record<string, unknown> | null }): boolean {
  return change.type !== 'DELETE' && change.record?.last_sync_source === KITH_ROW_SOURCE;
}
