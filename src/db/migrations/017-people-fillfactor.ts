import type { Migration } from '../migration.js';

/**
 * PostgreSQL keeps half of each `people` page free, so the per-batch `count = count + delta`
 * update of every person a batch touches is a heap-only (HOT) update: the new row version goes
 * on the same page and none of people's three indexes gets a new entry. At the default (full
 * pages) every such update moved the row and wrote all three indexes: a quarter of ingest's
 * database time. Pages written before this take the setting when rewritten
 * (VACUUM FULL); new pages take it at once. SQLite updates rows in place and needs nothing.
 */
export const m017PeopleFillfactor: Migration = {
  version: 17,
  name: 'people-fillfactor',
  sqlite: '',
  postgres: 'ALTER TABLE people SET (fillfactor = 50);',
};
