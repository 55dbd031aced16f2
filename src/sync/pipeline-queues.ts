/** The unified sync's queues: one per pipeline step after collection, the run's root, and the daily schedule. */
export const PIPELINE_QUEUE = {
  run: 'sync-run',
  link: 'sync-link',
  relationships: 'sync-relationships',
  verify: 'sync-verify',
  content: 'sync-content',
  index: 'sync-index',
  schedule: 'sync-schedule',
} as const;

/** Phase 1: one queue per source type, so each source can have its own worker process. */
export const sourceQueue = (type: string) => `source-${type}`;
