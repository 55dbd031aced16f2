-- Kith's `contacts` table in Supabase (PostgreSQL 13+): the canonical contact fields
-- plus the sync columns of seeds 002/003. Apply once, in the SQL editor or with
--   psql "$SUPABASE_DB_URL" -f src/systems/supabase/contacts.sql
-- It is idempotent (IF NOT EXISTS / OR REPLACE): apply it again after upgrading Kith. If
-- SUPABASE_CONTACTS_TABLE is not `contacts`, rename the table, its indexes and its trigger here
-- before applying; kith_push_contacts (at the end) serves only a table named `contacts`, so with
-- another name Kith reads the rows before each guarded write instead.
--
-- Columns
--   id                row id (Supabase convention); Kith never relies on it.
--   contact_id        Kith's stable contact id; every Kith write is an upsert ON CONFLICT (contact_id).
--                     Rows inserted by an app without one get a fresh UUID, which Kith adopts.
--   canonical_name … llm_context   the canonical fields; emails/phones are text arrays,
--                     llm_context is JSONB (its structure validated by Kith).
--   linkedin_url, tags, last_contacted   canonical fields added later (added to an existing
--                     table by the ALTER TABLE … ADD COLUMN IF NOT EXISTS below): the LinkedIn
--                     profile URL, the CRM's tags (text array), the day of the last contact.
--   version           sync_metadata.version; higher wins in conflict resolution.
--   last_updated_at   sync_metadata.last_updated (when the content last changed, anywhere).
--   last_sync_source  sync_metadata.last_updated_by: which system made the last change.
--   content_hash      hash of the canonical content Kith last wrote (echo detection).
--   sync_write_id     a fresh UUID on every Kith write: how the trigger tells Kith's writes
--                     from edits made in Supabase itself (app, dashboard, SQL).
--   created_at, updated_at   row times; updated_at is set by the trigger on every change and is
--                     the change-feed cursor (with contact_id as tie-break).
--   deleted_at        soft delete (NULL = active). Kith never deletes rows.
--
-- The trigger stamps updated_at and, for an edit that did not come from Kith (sync_write_id
-- unchanged) and changed the content, bumps version and sets last_sync_source = 'supabase' and
-- last_updated_at, so "higher version wins" sees app edits without any timing window.
-- An edit from outside Kith that changes no content keeps updated_at: it is not a change.
--
-- Limitation: updated_at is taken when a statement runs, not when it commits; a transaction that
-- commits late can carry an updated_at before a cursor already passed. Database Webhooks carry
-- such changes, and Kith's periodic sweep compares content hashes, not only cursors.
--
-- Access: Kith uses the service-role key. Row-level security is enabled with no policies, so
-- anon/authenticated keys see nothing until you add policies for your app.

CREATE TABLE IF NOT EXISTS contacts (
  id                UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  contact_id        TEXT UNIQUE NOT NULL DEFAULT gen_random_uuid()::text,
  canonical_name    TEXT NOT NULL CHECK (btrim(canonical_name) <> ''),
  first_name        TEXT,
  last_name         TEXT,
  emails            TEXT[] NOT NULL DEFAULT '{}',
  phones            TEXT[] NOT NULL DEFAULT '{}',
  company           TEXT,
  job_title         TEXT,
  category_code     TEXT CHECK (category_code IN ('A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'X')),
  subcategory_code  TEXT,
  notes             TEXT,
  llm_context       JSONB CHECK (llm_context IS NULL OR jsonb_typeof(llm_context) = 'object'),
  version           INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  last_updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_sync_source  TEXT,
  content_hash      TEXT,
  sync_write_id     UUID,
  created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  deleted_at        TIMESTAMPTZ,
  CONSTRAINT contacts_subcategory_code_check
    CHECK (subcategory_code IS NULL OR (category_code IS NOT NULL AND left(subcategory_code, 1) = category_code))
);

ALTER TABLE contacts ADD COLUMN IF NOT EXISTS linkedin_url TEXT;
ALTER TABLE contacts ADD COLUMN IF NOT EXISTS tags TEXT[] NOT NULL DEFAULT '{}';
ALTER TABLE contacts ADD COLUMN IF NOT EXISTS last_contacted DATE;

CREATE INDEX IF NOT EXISTS contacts_changes_idx ON contacts (updated_at, contact_id);
CREATE INDEX IF NOT EXISTS contacts_emails_idx ON contacts USING GIN (emails);

CREATE OR REPLACE FUNCTION contacts_before_write() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := clock_timestamp();
  IF TG_OP = 'INSERT' THEN
    IF NEW.sync_write_id IS NULL THEN
      NEW.last_sync_source := COALESCE(NEW.last_sync_source, 'supabase');
      NEW.last_updated_at := NEW.updated_at;
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.sync_write_id IS NOT DISTINCT FROM OLD.sync_write_id THEN
    IF ROW(NEW.canonical_name, NEW.first_name, NEW.last_name, NEW.emails, NEW.phones, NEW.company, NEW.job_title,
           NEW.category_code, NEW.subcategory_code, NEW.notes, NEW.llm_context, NEW.deleted_at,
           NEW.linkedin_url, NEW.tags, NEW.last_contacted)
       IS DISTINCT FROM
       ROW(OLD.canonical_name, OLD.first_name, OLD.last_name, OLD.emails, OLD.phones, OLD.company, OLD.job_title,
           OLD.category_code, OLD.subcategory_code, OLD.notes, OLD.llm_context, OLD.deleted_at,
           OLD.linkedin_url, OLD.tags, OLD.last_contacted) THEN
      NEW.version := GREATEST(NEW.version, OLD.version + 1);
      NEW.last_sync_source := 'supabase';
      NEW.last_updated_at := NEW.updated_at;
    ELSE
      NEW.updated_at := OLD.updated_at;
    END IF;
  END IF;
  RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS contacts_before_write ON contacts;
CREATE TRIGGER contacts_before_write BEFORE INSERT OR UPDATE ON contacts
  FOR EACH ROW EXECUTE FUNCTION contacts_before_write();

ALTER TABLE contacts ENABLE ROW LEVEL SECURITY;

-- kith_push_contacts(rows, expected): Kith's guarded writes in one request (supabase.rpc), as a
-- compare-and-set under row locks, so nothing can slip in between a check and the write.
--   rows      JSON array of rows with the columns Kith owns (what its upsert sends), one per contact_id.
--   expected  {"<contact_id>": <version>, …}: for a row Kith already knows, the version it last
--             wrote or read there. Such a row is written only while it still has that version; an
--             edit made in Supabase meanwhile bumped it (see the trigger above), so the row is left
--             as it is and returned, and Kith merges that edit before writing anything over it.
--             Rows not named here are written whatever their version.
-- Returns a JSON array, one element per row: {"contact_id", "action"} with action
--   created | updated    written;
--   unchanged            already held exactly this (content_hash, version, last_sync_source,
--                        deleted_at): not written, so no trigger and no webhook;
--   changed              not written; "row" holds the row as it is now (as to_jsonb gives it).
CREATE OR REPLACE FUNCTION kith_push_contacts(rows jsonb, expected jsonb DEFAULT '{}'::jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
  ids text[];
  result jsonb;
BEGIN
  IF jsonb_typeof(rows) IS DISTINCT FROM 'array' THEN
    RAISE EXCEPTION 'kith_push_contacts: rows must be a JSON array' USING ERRCODE = '22023';
  END IF;
  expected := COALESCE(expected, '{}'::jsonb);
  IF jsonb_typeof(expected) <> 'object' THEN
    RAISE EXCEPTION 'kith_push_contacts: expected must be a JSON object {contact_id: version}' USING ERRCODE = '22023';
  END IF;
  ids := ARRAY(SELECT r ->> 'contact_id' FROM jsonb_array_elements(rows) AS r);
  -- Lock the rows decided on, in one order, so concurrent calls cannot deadlock.
  PERFORM 1 FROM contacts c WHERE c.contact_id = ANY (ids) ORDER BY c.contact_id FOR UPDATE;
  WITH input AS (
    SELECT * FROM jsonb_populate_recordset(NULL::contacts, rows)
  ), decided AS (
    SELECT i.contact_id,
           CASE
             WHEN c.contact_id IS NULL THEN 'created'
             WHEN expected ? i.contact_id AND c.version IS DISTINCT FROM (expected ->> i.contact_id)::integer THEN 'changed'
             WHEN c.content_hash IS NOT DISTINCT FROM i.content_hash AND c.version = i.version
                  AND c.last_sync_source IS NOT DISTINCT FROM i.last_sync_source
                  AND c.deleted_at IS NOT DISTINCT FROM i.deleted_at THEN 'unchanged'
             ELSE 'updated'
           END AS action,
           to_jsonb(c) AS current_row
      FROM input i
      -- Only the rows named (an index lookup), never a scan of the table.
      LEFT JOIN (SELECT * FROM contacts x WHERE x.contact_id = ANY (ids)) c ON c.contact_id = i.contact_id
  ), written AS (
    INSERT INTO contacts AS t (contact_id, canonical_name, first_name, last_name, emails, phones, company, job_title,
                               category_code, subcategory_code, notes, llm_context, version, last_updated_at,
                               last_sync_source, content_hash, sync_write_id, deleted_at, linkedin_url, tags, last_contacted)
    SELECT i.contact_id, i.canonical_name, i.first_name, i.last_name, COALESCE(i.emails, '{}'), COALESCE(i.phones, '{}'),
           i.company, i.job_title, i.category_code, i.subcategory_code, i.notes, i.llm_context, i.version,
           i.last_updated_at, i.last_sync_source, i.content_hash, i.sync_write_id, i.deleted_at,
           i.linkedin_url, COALESCE(i.tags, '{}'), i.last_contacted
      FROM input i
      JOIN decided d ON d.contact_id = i.contact_id AND d.action IN ('created', 'updated')
    ON CONFLICT (contact_id) DO UPDATE SET
      canonical_name = EXCLUDED.canonical_name, first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
      emails = EXCLUDED.emails, phones = EXCLUDED.phones, company = EXCLUDED.company, job_title = EXCLUDED.job_title,
      category_code = EXCLUDED.category_code, subcategory_code = EXCLUDED.subcategory_code, notes = EXCLUDED.notes,
      llm_context = EXCLUDED.llm_context, version = EXCLUDED.version, last_updated_at = EXCLUDED.last_updated_at,
      last_sync_source = EXCLUDED.last_sync_source, content_hash = EXCLUDED.content_hash,
      sync_write_id = EXCLUDED.sync_write_id, deleted_at = EXCLUDED.deleted_at,
      linkedin_url = EXCLUDED.linkedin_url, tags = EXCLUDED.tags, last_contacted = EXCLUDED.last_contacted
    RETURNING t.contact_id
  )
  SELECT COALESCE(jsonb_agg(
           CASE WHEN d.action = 'changed'
                THEN jsonb_build_object('contact_id', d.contact_id, 'action', d.action, 'row', d.current_row)
                ELSE jsonb_build_object('contact_id', d.contact_id, 'action', d.action) END), '[]'::jsonb)
    INTO result
    FROM decided d;
  RETURN result;
END;
$$;

-- PostgREST caches the schema: have it pick up the function (harmless without PostgREST).
NOTIFY pgrst, 'reload schema';
