import type { Migration } from '../migration.js';

/**
 * The contact hub's local tables.
 *  - `contacts`: the canonical record when BigQuery is not configured (and the local DB's copy
 *    when it is). `change_seq` orders changes for listChanged/listSince: it comes from the
 *    one-row `contact_seq` counter, incremented inside the writing transaction, so its row lock
 *    makes sequence order equal commit order and a cursor can never skip a late commit.
 *  - `contact_emails`: normalised email → contact, for findByEmail.
 *  - `contact_links`: per-system ids and what Kith last wrote there (hash, version) for echo
 *    suppression. Per-system ids never live in the canonical fields.
 *  - `sync_conflicts`: equal version + time, different content; one open row per pair of contents.
 *  - `contact_outbox`: pending propagation per (contact, target), for "changed more than five
 *    minutes ago and not yet propagated".
 * `person_id` links to the people graph's people without a foreign key (that table is another migration).
 */
export const m003Contacts: Migration = {
  version: 3,
  name: 'contacts',
  sql: `
CREATE TABLE contacts (
  contact_id TEXT PRIMARY KEY,
  canonical_name TEXT NOT NULL,
  first_name TEXT,
  last_name TEXT,
  emails TEXT NOT NULL DEFAULT '[]',
  phones TEXT NOT NULL DEFAULT '[]',
  company TEXT,
  job_title TEXT,
  category_code TEXT CHECK (category_code IS NULL OR category_code IN ('A','B','C','D','E','F','G','H','X')),
  subcategory_code TEXT,
  notes TEXT,
  llm_context TEXT,
  version INTEGER NOT NULL,
  last_updated BIGINT NOT NULL,
  last_updated_by TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  deleted_at BIGINT,
  person_id TEXT,
  change_seq BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX contacts_change_seq ON contacts (change_seq);
CREATE INDEX contacts_person ON contacts (person_id);

CREATE TABLE contact_seq (id INTEGER PRIMARY KEY, n BIGINT NOT NULL);
INSERT INTO contact_seq (id, n) VALUES (1, 0);

CREATE TABLE contact_emails (
  email TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  PRIMARY KEY (email, contact_id)
);
CREATE INDEX contact_emails_contact ON contact_emails (contact_id);

CREATE TABLE contact_links (
  contact_id TEXT NOT NULL,
  system TEXT NOT NULL,
  external_id TEXT NOT NULL,
  last_hash TEXT,
  last_version INTEGER,
  last_synced_at BIGINT,
  PRIMARY KEY (contact_id, system),
  UNIQUE (system, external_id)
);

CREATE TABLE sync_conflicts (
  id TEXT PRIMARY KEY,
  contact_id TEXT NOT NULL,
  pair_key TEXT NOT NULL,
  system_a TEXT NOT NULL,
  system_b TEXT NOT NULL,
  record_a TEXT NOT NULL,
  record_b TEXT NOT NULL,
  reason TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  resolved_at BIGINT,
  resolution TEXT
);
CREATE UNIQUE INDEX sync_conflicts_pair ON sync_conflicts (contact_id, pair_key);
CREATE INDEX sync_conflicts_open ON sync_conflicts (resolved_at, created_at);

CREATE TABLE contact_outbox (
  contact_id TEXT NOT NULL,
  target TEXT NOT NULL,
  version INTEGER NOT NULL,
  enqueued_at BIGINT NOT NULL,
  done_at BIGINT,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  PRIMARY KEY (contact_id, target)
);
CREATE INDEX contact_outbox_pending ON contact_outbox (done_at, enqueued_at);
`,
};
