import type { Migration } from '../migration.js';

/**
 * `contact_versions`: the local canonical store's history, one row per canonical version it
 * wrote, in the same transaction as the write (src/systems/local/contacts-table.ts). Keyed by
 * the write's change sequence number, so a replayed write (found unchanged, no new sequence
 * number) adds no row. `record` is the canonical content (fields and deleted_at) as JSON,
 * `changed_fields` the fields that differ from the version before, `system` the system the
 * change came from and `origin` the path it took into Kith (webhook, sweep, local-edit, …).
 */
export const m023ContactVersions: Migration = {
  version: 23,
  name: 'contact-versions',
  sql: `
CREATE TABLE contact_versions (
  contact_id TEXT NOT NULL,
  change_seq BIGINT NOT NULL,
  version INTEGER NOT NULL,
  content_hash TEXT NOT NULL,
  record TEXT NOT NULL,
  changed_fields TEXT NOT NULL,
  system TEXT NOT NULL,
  origin TEXT,
  changed_at BIGINT NOT NULL,
  recorded_at BIGINT NOT NULL,
  PRIMARY KEY (contact_id, change_seq)
);
`,
};
