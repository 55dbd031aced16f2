import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Alerts } from '../../../src/hub/ports/alerts.js';
import { Alerter } from '../../../src/hub/services/alerts.service.js';
import { openNotionPages } from '../../../src/systems/notion/notion-pages.js';
import type { NotionPages } from '../../../src/systems/notion/notion-pages.port.js';
import { type NotionEmulator, startNotionEmulator } from '../../emulators/notion/notion-emulator.js';
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
  notion: NotionEmulator;
  /** Books, meetings and contacts data sources of the Notion emulator. */
  ds: { books: string; meetings: string; contacts: string; emptyBooks: string };
  books: TableMapping;
  meetings: TableMapping;
  /** A person's edits in Notion, through the same SDK (plain values). */
  user: NotionPages;
  supabase: SupabaseEmulator;
  clock: EmulatorClock;
  alerts: Alerts;
  deps: TableSyncDeps;
  rows(table: string): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

const BOOK_PROPS = { Name: 'title', Author: 'rich_text', Pages: 'number', Tags: 'multi_select', Finished: 'date', Read: 'checkbox' } as const;

/**
 * A database, the Notion emulator (one clock with Supabase's, Notion's minute-precision edit
 * times) read through Kith's Notion client, a Supabase emulator with the tables above, and the
 * engine's deps over them.
 */
export async function startTableKit(engine: Engine, opts: { notionWebhookUrl?: string } = {}): Promise<TableKit> {
  const clock = new EmulatorClock();
  const notion = await startNotionEmulator({ clock, rateLimit: false, webhookUrl: opts.notionWebhookUrl });
  const contacts = notion.createDataSource('Contacts', { Name: 'title' });
  const ds = {
    contacts,
    books: notion.createDataSource('Books', { ...BOOK_PROPS }),
    emptyBooks: notion.createDataSource('Books (empty)', { ...BOOK_PROPS }),
    meetings: notion.createDataSource('Meetings', { Title: 'title', Date: 'date', Summary: 'rich_text', Attendees: { type: 'relation', relation: contacts } }),
  };
  const books = { ...BOOKS, dataSourceId: ds.books };
  const meetings = { ...MEETINGS, dataSourceId: ds.meetings };
  const tables = [books, meetings];
  const db = await freshDb(engine);
  const supabase = await startSupabaseEmulator({ postgresUrl: postgresUrl(), clock, schemaSql: TABLES_SCHEMA_SQL });
  const client = createSupabaseClient({ url: supabase.url, key: supabase.key });
  const alerts = new Alerter(testLog, undefined, { clock: () => clock.now() });
  const p = openNotionPages({ token: notion.token, baseUrl: notion.url });
  const deps: TableSyncDeps = { db: db.db, pages: p, rows: (t) => new SupabaseTableRows(client, t), alerts, log: testLog, tables, clock: () => clock.now() };
  return {
    db,
    notion,
    ds,
    books,
    meetings,
    user: openNotionPages({ token: notion.token, baseUrl: notion.url }),
    supabase,
    clock,
    alerts,
    deps,
    rows: (table) => supabase.sql(`SELECT * FROM ${table} ORDER BY title`),
    async stop() {
      await supabase.stop();
      await notion.stop();
      await db.dispose();
    },
  };
}
