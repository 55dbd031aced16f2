import type { Migration } from '../migration.js';

/**
 * Sync bookkeeping shared by every system: cursors and stages per source, runs of
 * the phase DAG with their steps, and a log of what each sync did.
 */
export const m001SyncState: Migration = {
  version: 1,
  name: 'sync-state',
  sql: `
CREATE TABLE sync_state (
  key TEXT PRIMARY KEY,
  cursor TEXT,
  stage TEXT NOT NULL DEFAULT 'idle',
  failure_count INTEGER NOT NULL DEFAULT 0,
  retry_after BIGINT,
  last_success_at BIGINT,
  last_error_at BIGINT,
  last_error TEXT,
  records BIGINT NOT NULL DEFAULT 0,
  updated_at BIGINT NOT NULL
);
CREATE TABLE sync_runs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  finished_at BIGINT,
  details TEXT
);
CREATE INDEX sync_runs_started ON sync_runs (started_at);
CREATE TABLE sync_logs (
  id TEXT PRIMARY KEY,
  event_type TEXT NOT NULL,
  status TEXT NOT NULL,
  message TEXT,
  details TEXT,
  created_at BIGINT NOT NULL
);
CREATE INDEX sync_logs_created ON sync_logs (created_at);
`,
};
