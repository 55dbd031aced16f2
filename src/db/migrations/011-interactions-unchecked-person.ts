import type { Migration } from '../migration.js';

/**
 * `interactions.person_id` loses its foreign key (for ingest speed). The key cost a
 * lookup per inserted row in SQLite and a trigger per row in PostgreSQL, about a quarter of bulk
 * ingest, and guarded nothing the write paths do not already guarantee: people are never deleted
 * (merges leave tombstones), and every path that sets `person_id` (ingest, merge, split,
 * relink) first locks and resolves the person it writes in the same transaction.
 * `kith stats verify` reports any interaction whose person is missing all the same.
 * SQLite cannot drop a constraint, so the table is rebuilt (rows, ids and indexes unchanged).
 */
export const m011InteractionsUncheckedPerson: Migration = {
  version: 11,
  name: 'interactions-unchecked-person',
  sqlite: `
CREATE TABLE interactions_rebuilt (
  id INTEGER PRIMARY KEY,
  person_id TEXT NOT NULL,
  source_type TEXT NOT NULL,
  external_id TEXT NOT NULL,
  occurred_at BIGINT NOT NULL,
  title TEXT NOT NULL DEFAULT '',
  snippet TEXT,
  conversation_key TEXT,
  entity_ref TEXT,
  UNIQUE (source_type, external_id)
);
INSERT INTO interactions_rebuilt (id, person_id, source_type, external_id, occurred_at, title, snippet, conversation_key, entity_ref)
  SELECT id, person_id, source_type, external_id, occurred_at, title, snippet, conversation_key, entity_ref FROM interactions;
DROP TABLE interactions;
ALTER TABLE interactions_rebuilt RENAME TO interactions;
CREATE INDEX interactions_person ON interactions (person_id, source_type, occurred_at);
`,
  postgres: `ALTER TABLE interactions DROP CONSTRAINT interactions_person_id_fkey;`,
};
