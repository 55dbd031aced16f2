import type { Migration } from '../migration.js';

/**
 * API items and the key their interactions carry: a Gmail message id and its RFC Message-ID.
 * A deletion at the provider names only its own id; this finds the interactions to delete.
 */
export const m021SourceItems: Migration = {
  version: 21,
  name: 'source-items',
  sql: `
CREATE TABLE source_items (
  source_key TEXT NOT NULL,
  item_id TEXT NOT NULL,
  external_id TEXT NOT NULL,
  PRIMARY KEY (source_key, item_id)
);
`,
};
