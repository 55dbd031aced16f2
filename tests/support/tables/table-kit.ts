import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Alerts } from '../../../src/hub/ports/alerts.js';
import { Alerter } from '../../../src/hub/services/alerts.service.js';
import type { NotionPages } from '../../../src/systems/notion/notion-pages.port.js';
import { createSupabaseClient } from '../../../src/systems/supabase/supabase-client.js';
import { SupabaseTableRows } from '../../../src/systems/supabase/table-rows.js';
import { DEFAULT_EVERY_MS, DEFAULT_FULL_EVERY_MS, type TableMapping } from '../../../src/tables/config/tables-config.js';
import type { TableSyncDeps } from '../../../src/tables/services/table-sync-deps.js';
import { EmulatorClock } from '../../emulators/emulator-clock.js';
import { startSupabaseEmulator, type SupabaseEmulator } from '../../emulators/supabase/supabase-emulator.js';
import { type Engine, freshDb, postgresUrl, type TestDb, testLog } from '../test-env.js';

export const TABLE_SYNC_SQL_PATH = fileURLToPath(new URL('../../../src/tables/sql/table-sync-columns.sql', import.meta.url));

/** The Supabase side of the tests' mapped tables: their own columns, then Kith's SQL for the sync columns. */
export const TABLES_SCHEMA_SQL = `
CREATE TABLE books (id UUID PRIMARY KEY DEFAULT gen_random_uuid(), title TEXT, author TEXT, pages NUMERIC, tags TEXT[], finished DATE, read BOOLEAN);
CREATE TABLE meetings (id UUID PRIMARY KEY DEFAULT gen_random_uuid(), title TEXT, date TEXT, summary TEXT, attendees TEXT[]);
${readFileSync(TABLE_SYNC_SQL_PATH, 'utf8')}
SELECT kith_table_sync_columns('books');
SELECT kith_table_sync_columns('meetings');
-- Applying it twice changes nothing (it is idempotent).
SELECT kith_table_sync_columns('books');
`;

export const BOOKS: TableMapping = {
  name: 'books',
  mode: 'one-way',
  dataSourceId: 'ds-books',
  table: 'books',
  fields: [
    { column: 'title', property: 'Name' },
    { column: 'author', property: 'Author' },
    { column: 'pages', property: 'Pages' },
    { column: 'tags', property: 'Tags' },
    { column: 'finished', property: 'Finished' },
    { column: 'read', property: 'Read' },
  ],
  everyMs: DEFAULT_EVERY_MS,
  fullEveryMs: DEFAULT_FULL_EVERY_MS,
  minSourceShare: 0.1,
  maxDeleteShare: 0.5,
};

export const MEETINGS: TableMapping = {
  ...BOOKS,
  name: 'meetings',
  mode: 'two-way',
  dataSourceId: 'ds-meetings',
  table: 'meetings',
  fields: [
    { column: 'title', property: 'Title' },
    { column: 'date', property: 'Date' },
    { column: 'summary', property: 'Summary' },
    { column: 'attendees', property: 'Attendees', relation: 'contacts' },
  ],
};

export interface TableKit {
  db: TestDb;
  supabase: SupabaseEmulator;
  clock: EmulatorClock;
  alerts: Alerts;
  deps: TableSyncDeps;
  rows(table: string): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

/** A database, a Supabase emulator with the tables above, and the engine's deps over `pages`. */
export async function startTableKit(engine: Engine, pages: (clock: EmulatorClock) => NotionPages, tables: readonly TableMapping[] = [BOOKS, MEETINGS]): Promise<TableKit & { pages: NotionPages }> {
  const clock = new EmulatorClock();
  const db = await freshDb(engine);
  const supabase = await startSupabaseEmulator({ postgresUrl: postgresUrl(), clock, schemaSql: TABLES_SCHEMA_SQL });
  const client = createSupabaseClient({ url: supabase.url, key: supabase.key });
  const alerts = new Alerter(testLog, undefined, { clock: () => clock.now() });
  const p = pages(clock);
  const deps: TableSyncDeps = { db: db.db, pages: p, rows: (t) => new SupabaseTableRows(client, t), alerts, log: testLog, tables, clock: () => clock.now() };
  return {
    db,
    supabase,
    clock,
    alerts,
    deps,
    pages: p,
    rows: (table) => supabase.sql(`SELECT * FROM ${table} ORDER BY title`),
    async stop() {
      await supabase.stop();
      await db.dispose();
    },
  };
}
