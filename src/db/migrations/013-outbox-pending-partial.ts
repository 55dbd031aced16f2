import type { Migration } from '../migration.js';

/**
 * `contact_outbox_pending` indexes only the rows still pending (`WHERE done_at IS NULL`), which
 * is all any query asks for. The full (done_at, enqueued_at) index moved an entry between two
 * places of the index on every change and every confirmation (two index pages written each
 * time); now an entry is added when a change is pending and removed when a target confirms it,
 * and the index stays as small as the backlog.
 */
export const m013OutboxPendingPartial: Migration = {
  version: 13,
  name: 'outbox-pending-partial',
  sql: `
DROP INDEX contact_outbox_pending;
CREATE INDEX contact_outbox_pending ON contact_outbox (enqueued_at) WHERE done_at IS NULL;
`,
};
