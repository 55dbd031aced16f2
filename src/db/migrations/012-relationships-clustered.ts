import type { Migration } from '../migration.js';

/**
 * SQLite: `relationships` becomes a WITHOUT ROWID table clustered on (person_a, person_b).
 * Phase 3 rewrites it whole, in primary-key order: one B-tree to append to instead of a rowid
 * table plus its primary-key index (measured ~40% less time for 2M relationships).
 * PostgreSQL has no rowid tables to begin with: nothing to do there.
 */
export const m012RelationshipsClustered: Migration = {
  version: 12,
  name: 'relationships-clustered',
  sqlite: `
CREATE TABLE relationships_rebuilt (
  person_a TEXT NOT NULL,
  person_b TEXT NOT NULL,
  shared_events_count INTEGER NOT NULL DEFAULT 0,
  shared_threads_count INTEGER NOT NULL DEFAULT 0,
  shared_messages_count INTEGER NOT NULL DEFAULT 0,
  first_seen_at BIGINT,
  last_seen_at BIGINT,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (person_a, person_b),
  CHECK (person_a < person_b)
) WITHOUT ROWID;
INSERT INTO relationships_rebuilt SELECT person_a, person_b, shared_events_count, shared_threads_count, shared_messages_count, first_seen_at, last_seen_at, updated_at FROM relationships;
DROP TABLE relationships;
ALTER TABLE relationships_rebuilt RENAME TO relationships;
CREATE INDEX relationships_b ON relationships (person_b);
`,
  postgres: 'SELECT 1;',
};
