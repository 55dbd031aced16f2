-- The sync columns Kith needs on every Supabase table it keeps in step with a Notion data
-- source (PostgreSQL 13+). Apply once, in the SQL editor or with
--   psql "$SUPABASE_DB_URL" -f src/tables/sql/table-sync-columns.sql
-- then, for each mapped table (its `supabase.table` in kith.config.yaml):
--   SELECT kith_table_sync_columns('meetings');
-- Both are idempotent (IF NOT EXISTS / OR REPLACE): apply them again after upgrading Kith. Create
-- the table's own columns (those named under `fields:`) yourself; a table that does not exist
-- yet is created with the sync columns only.
--
-- Columns
--   id                 row id (UUID); relations to this table hold it.
--   notion_page_id     the page this row mirrors; UNIQUE, so Kith's writes are upserts on it.
--   notion_updated_at  the page's last_edited_time when Kith last read it.
--   last_sync_source   who made the row's last change: 'notion' (Kith, from Notion) or
--                      'supabase' (an edit in Supabase itself, set by the trigger).
--   sync_write_id      a fresh UUID on every Kith write: how the trigger tells Kith's writes
--                      from edits made in Supabase.
--   created_at, updated_at   updated_at is set by the trigger on every change: the change
--                      feed Kith reads (with id as tie-break), and the edit's clock in two-way sync.
--   deleted_at         soft delete (NULL = live) ↔ the page's place in Notion's trash. Kith
--                      never deletes rows.

CREATE OR REPLACE FUNCTION kith_table_sync_before_write() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := clock_timestamp();
  IF TG_OP = 'INSERT' THEN
    IF NEW.sync_write_id IS NULL THEN NEW.last_sync_source := 'supabase'; END IF;
  ELSIF NEW.sync_write_id IS NOT DISTINCT FROM OLD.sync_write_id THEN
    NEW.last_sync_source := 'supabase';
  END IF;
  RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION kith_table_sync_columns(tbl text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TABLE IF NOT EXISTS %I (id UUID PRIMARY KEY DEFAULT gen_random_uuid())', tbl);
  EXECUTE format('ALTER TABLE %I
      ADD COLUMN IF NOT EXISTS notion_page_id TEXT,
      ADD COLUMN IF NOT EXISTS notion_updated_at TIMESTAMPTZ,
      ADD COLUMN IF NOT EXISTS last_sync_source TEXT,
      ADD COLUMN IF NOT EXISTS sync_write_id UUID,
      ADD COLUMN IF NOT EXISTS created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      ADD COLUMN IF NOT EXISTS updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      ADD COLUMN IF NOT EXISTS deleted_at TIMESTAMPTZ', tbl);
  EXECUTE format('CREATE UNIQUE INDEX IF NOT EXISTS %I ON %I (notion_page_id)', tbl || '_notion_page_id_key', tbl);
  EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I (updated_at, id)', tbl || '_changes_idx', tbl);
  EXECUTE format('DROP TRIGGER IF EXISTS kith_table_sync_before_write ON %I', tbl);
  EXECUTE format('CREATE TRIGGER kith_table_sync_before_write BEFORE INSERT OR UPDATE ON %I
      FOR EACH ROW EXECUTE FUNCTION kith_table_sync_before_write()', tbl);
  EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl);
END;
$$;

NOTIFY pgrst, 'reload schema';
