-- Kith's `contacts` table in Supabase (PostgreSQL 13+): the canonical contact fields (seed 004)
-- plus the sync columns of seeds 002/003. Apply once, in the SQL editor or with
--   psql "$SUPABASE_DB_URL" -f src/systems/supabase/contacts.sql
-- It is idempotent (IF NOT EXISTS / OR REPLACE). If SUPABASE_CONTACTS_TABLE is not `contacts`,
-- rename the table, its indexes and its trigger here before applying.
--
-- Columns
--   id                row id (Supabase convention); Kith never relies on it.
--   contact_id        Kith's stable contact id; every Kith write is an upsert ON CONFLICT (contact_id).
--                     Rows inserted by an app without one get a fresh UUID, which Kith adopts.
--   canonical_name … llm_context   the canonical fields; emails/phones are text arrays,
--                     llm_context is JSONB (seed 004's structure, validated by Kith).
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
           NEW.category_code, NEW.subcategory_code, NEW.notes, NEW.llm_context, NEW.deleted_at)
       IS DISTINCT FROM
       ROW(OLD.canonical_name, OLD.first_name, OLD.last_name, OLD.emails, OLD.phones, OLD.company, OLD.job_title,
           OLD.category_code, OLD.subcategory_code, OLD.notes, OLD.llm_context, OLD.deleted_at) THEN
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
