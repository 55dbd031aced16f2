import type { Migration } from '../migration.js';

/**
 * How many malformed records a source's last collection skipped, and the first few of them
 * (JSON: file, line or offset, reason): shown by `kith status` under the source.
 */
export const m016SyncStateSkipped: Migration = {
  version: 16,
  name: 'sync-state-skipped',
  sql: `
ALTER TABLE sync_state ADD COLUMN last_skipped BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_state ADD COLUMN last_skipped_sample TEXT;
`,
};
