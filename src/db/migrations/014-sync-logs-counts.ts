import type { Migration } from '../migration.js';

/**
 * What a sync log row says: the run and step, or the contact system, it is about; the records
 * created, updated, unchanged, deleted, skipped and failed; when it started, how long it took
 * and the error. One row per finished step of a sync run and per hub sweep of a system.
 */
export const m014SyncLogsCounts: Migration = {
  version: 14,
  name: 'sync-logs-counts',
  sql: `
ALTER TABLE sync_logs ADD COLUMN run_id TEXT;
ALTER TABLE sync_logs ADD COLUMN step_id TEXT;
ALTER TABLE sync_logs ADD COLUMN system TEXT;
ALTER TABLE sync_logs ADD COLUMN records_created BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_logs ADD COLUMN records_updated BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_logs ADD COLUMN records_unchanged BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_logs ADD COLUMN records_deleted BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_logs ADD COLUMN records_skipped BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_logs ADD COLUMN records_failed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_logs ADD COLUMN started_at BIGINT;
ALTER TABLE sync_logs ADD COLUMN duration_ms BIGINT;
ALTER TABLE sync_logs ADD COLUMN error TEXT;
`,
};
