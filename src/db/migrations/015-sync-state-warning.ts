import type { Migration } from '../migration.js';

/**
 * The last warning about a source's sync that did not fail it (a cursor the source no longer
 * accepts, so the whole export was read again), and when: shown beside the last error.
 */
export const m015SyncStateWarning: Migration = {
  version: 15,
  name: 'sync-state-warning',
  sql: `
ALTER TABLE sync_state ADD COLUMN last_warning TEXT;
ALTER TABLE sync_state ADD COLUMN last_warning_at BIGINT;
`,
};
