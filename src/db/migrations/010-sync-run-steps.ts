import type { Migration } from '../migration.js';

/** One row per step of a sync run: the DAG as it ran, with times, records and errors. */
export const m010SyncRunSteps: Migration = {
  version: 10,
  name: 'sync-run-steps',
  sql: `
CREATE TABLE sync_run_steps (
  run_id TEXT NOT NULL,
  step_id TEXT NOT NULL,
  phase INTEGER NOT NULL,
  depends_on TEXT NOT NULL,
  queue TEXT NOT NULL,
  failure_policy TEXT NOT NULL,
  params TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at BIGINT,
  finished_at BIGINT,
  records BIGINT NOT NULL DEFAULT 0,
  result TEXT,
  error TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, step_id)
);
`,
};
