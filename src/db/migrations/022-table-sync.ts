import type { Migration } from '../migration.js';

/**
 * The table sync's state (src/tables/):
 *  - `table_sync_records`: one row per linked record of a mapped table: the Supabase row id, the
 *    Notion page id, and the content hash Kith last saw or wrote on each side. A side whose hash
 *    still matches has not been edited since (Kith's own writes come back with the hash it
 *    wrote), whatever the times say.
 *  - `sync_conflicts.table_name`: a conflict of a mapped table's record (NULL: a contact's).
 *  - `notion_webhook_tokens`: the verification tokens Notion sent when a webhook subscription
 *    was created, for `kith tables webhook-token`.
 */
export const m022TableSync: Migration = {
  version: 22,
  name: 'table-sync',
  sql: `
CREATE TABLE table_sync_records (
  table_name TEXT NOT NULL,
  row_id TEXT NOT NULL,
  page_id TEXT NOT NULL,
  notion_hash TEXT,
  supabase_hash TEXT,
  synced_at BIGINT NOT NULL,
  PRIMARY KEY (table_name, row_id)
);
CREATE UNIQUE INDEX table_sync_records_page ON table_sync_records (table_name, page_id);
ALTER TABLE sync_conflicts ADD COLUMN table_name TEXT;
CREATE TABLE notion_webhook_tokens (
  token TEXT PRIMARY KEY,
  received_at BIGINT NOT NULL
);
`,
};
