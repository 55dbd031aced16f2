import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { hubHttpOptions } from '../../../src/app/hub-http.js';
import { buildHttpServer } from '../../../src/http/server.js';
import { allQueues } from '../../../src/queues/queue-registry.js';
import { TABLES_QUEUE } from '../../../src/tables/jobs/table-queues.js';
import { listTableConflicts } from '../../../src/tables/stores/table-conflicts.store.js';
import { SUPABASE_SECRET, spawnWorker, startAlertSink, until } from '../../support/hub/hub-kit.js';
import { startTableKit } from '../../support/tables/table-kit.js';
import { cleanupRedis, redisUrl, testLog, uniquePrefix } from '../../support/test-env.js';

const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

const NOTION_WEBHOOK_TOKEN = 'secret_notion_webhook_token_for_tests';
const ADMIN = { KITH_ADMIN_USER: 'admin', KITH_ADMIN_PASSWORD: 'a-long-admin-password' };
const AUTH = { authorization: `Basic ${Buffer.from(`${ADMIN.KITH_ADMIN_USER}:${ADMIN.KITH_ADMIN_PASSWORD}`).toString('base64')}` };
const title = (s: string) => ({ title: [{ type: 'text', text: { content: s } }] });
const text = (s: string) => ({ rich_text: [{ type: 'text', text: { content: s } }] });

/**
 * A deployment in miniature: the HTTP server (webhooks, /api/sync) in this process, a `kith
 * worker` process serving tables-sync, the Notion and Supabase emulators sending their
 * webhooks to it, on PostgreSQL and Redis.
 */
async function deployment() {
  const prefix = uniquePrefix();
  stops.push(() => cleanupRedis(prefix));
  const k = await startTableKit('postgres');
  stops.push(() => k.stop());
  const sink = await startAlertSink();
  stops.push(() => sink.stop());
  const dir = mkdtempSync(join(tmpdir(), 'kith-tables-e2e-'));
  stops.push(async () => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'kith.config.yaml'),
    `tables:
  - name: meetings
    mode: two-way
    notion: { data_source: ${k.ds.meetings} }
    supabase: { table: meetings }
    fields: { title: Title, date: Date, summary: Summary, attendees: { property: Attendees, relation: contacts } }
  - name: books
    mode: one-way
    notion: { data_source: ${k.ds.books} }
    supabase: { table: books }
    fields: { title: Name, author: Author, pages: Pages, tags: Tags, finished: Finished, read: Read }
`,
  );
  const env: Record<string, string> = {
    REDIS_URL: redisUrl(),
    KITH_QUEUE_PREFIX: prefix,
    DATABASE_URL: k.db.url,
    KITH_LOG_LEVEL: 'warn',
    KITH_CONFIG: join(dir, 'kith.config.yaml'),
    NOTION_TOKEN: k.notion.token,
    NOTION_API_URL: k.notion.url,
    NOTION_RATE_LIMIT: '50',
    NOTION_WEBHOOK_TOKEN,
    SUPABASE_URL: k.supabase.url,
    SUPABASE_KEY: k.supabase.key,
    SUPABASE_WEBHOOK_SECRET: SUPABASE_SECRET,
    KITH_ALERT_WEBHOOK_URL: sink.url,
    ...ADMIN,
  };
  const http = await buildHttpServer({ redisUrl: redisUrl(), prefix, db: k.db.db, queues: allQueues(), log: testLog, ...hubHttpOptions(k.db.db, env, testLog) });
  stops.push(() => http.close());
  const base = await http.app.listen({ host: '127.0.0.1', port: 0 });
  const worker = await spawnWorker(env, [TABLES_QUEUE]);
  stops.push(() => worker.stop());
  const webhooks = {
    on: async () => {
      await k.notion.setWebhook(`${base}/webhooks/notion`, { verificationToken: NOTION_WEBHOOK_TOKEN });
      k.supabase.setWebhook(`${base}/webhooks/supabase`, SUPABASE_SECRET);
    },
    off: async () => {
      await k.notion.setWebhook(undefined);
      k.supabase.setWebhook(undefined);
    },
  };
  const api = (path: string) => request(`${base}${path}`, { method: 'POST', headers: AUTH }).then(async (r) => ({ status: r.statusCode, body: (await r.body.json()) as Record<string, unknown> }));
  const rows = (table: string) => k.supabase.sql(`SELECT * FROM ${table} ORDER BY title`);
  const value = async (pageId: string, property: string) => (await k.user.get(pageId))!.properties[property]!.value;
  return { k, sink, env, base, worker, webhooks, api, rows, value };
}

describe('Notion ↔ Supabase tables end to end, with a worker process', () => {
  it('one-way books: 500 pages become rows; a trashed page soft-deletes its row; a row edited in Supabase is restored', async () => {
    const d = await deployment();
    for (let i = 0; i < 500; i++) d.k.notion.createPage(d.k.ds.books, { Name: title(`Book ${String(i).padStart(3, '0')}`), Author: text('A. Writer'), Pages: { number: i } });
    expect((await d.api('/api/sync/books?full=true')).status).toBe(202);
    await until(async () => (await d.k.supabase.sql<{ n: number }>('SELECT count(*)::int AS n FROM books'))[0]!.n === 500, '500 rows', 120_000);
    await d.webhooks.on();

    const page = d.k.notion.pagesIn(d.k.ds.books).find((p) => JSON.stringify(p.properties).includes('Book 042'))!;
    d.k.notion.trashPage(page.id as string);
    await until(async () => (await d.rows('books')).find((r) => r.title === 'Book 042')!.deleted_at != null, 'the row of the trashed page soft-deleted', 30_000);

    await d.k.supabase.sql("UPDATE books SET author = 'someone else' WHERE title = 'Book 007'");
    await until(async () => (await d.rows('books')).find((r) => r.title === 'Book 007')!.author === 'A. Writer', 'the Supabase edit restored from Notion', 30_000);
    expect(await d.k.supabase.sql('SELECT count(*)::int AS n FROM books WHERE deleted_at IS NULL')).toEqual([{ n: 499 }]);
  }, 240_000);

  it('two-way meetings: edits cross both ways by webhook, and an edit a second after Kith wrote is not lost', async () => {
    const d = await deployment();
    await d.webhooks.on();
    const page = await d.k.user.create(d.k.ds.meetings, { Title: 'Kickoff', Summary: 'from notion' });
    await until(async () => (await d.rows('meetings'))[0]?.summary === 'from notion', 'the page as a row', 30_000);

    await d.k.supabase.sql("UPDATE meetings SET summary = 'from supabase'");
    await until(async () => (await d.value(page.id, 'Summary')) === 'from supabase', 'the row edit in Notion', 30_000);
    // Kith has just written the page; a person edits the row again a second later.
    await d.k.supabase.sql("UPDATE meetings SET summary = 'a second later'");
    await until(async () => (await d.value(page.id, 'Summary')) === 'a second later', 'the later edit in Notion', 30_000);
    await d.k.user.update(page.id, { Summary: 'notion again' });
    await until(async () => (await d.rows('meetings'))[0]?.summary === 'notion again', 'the page edit in Supabase', 30_000);
  }, 120_000);

  it('two-way meetings: edits on both sides while no webhook arrives, the newer wins and the loser is kept', async () => {
    const d = await deployment();
    await d.webhooks.on();
    const page = await d.k.user.create(d.k.ds.meetings, { Title: 'Kickoff', Summary: 'from notion' });
    await until(async () => (await d.rows('meetings'))[0]?.summary === 'from notion', 'the page as a row', 30_000);

    // Both sides edited while no webhook arrives: the newer (Notion, two minutes later) wins.
    await d.webhooks.off();
    await d.k.supabase.sql("UPDATE meetings SET summary = 'older supabase edit'");
    await d.k.clock.advance(120_000);
    await d.k.user.update(page.id, { Summary: 'newer notion edit' });
    expect((await d.api('/api/sync/meetings')).status).toBe(202);
    // The run waits its turn on the tables queue (one job at a time). Kith's own write of the row
    // came back by webhook before they were turned off; it queued no job, so nothing carried the
    // Supabase edit to Notion ahead of the Notion edit.
    await until(async () => (await d.rows('meetings'))[0]?.summary === 'newer notion edit', 'the newer edit on both sides', 90_000);
    const [c] = await until(async () => {
      const list = await listTableConflicts(d.k.db.db, { table: 'meetings' });
      return list.length ? list : undefined;
    }, 'the conflict recorded', 10_000);
    expect(c).toMatchObject({ winner: { system: 'notion' }, loser: { system: 'supabase', content: { fields: { summary: 'older supabase edit' } } } });
    await until(async () => d.sink.alerts.find((a) => a.kind === 'new_conflict'), 'the conflict alert', 10_000);
  }, 200_000);

  it("relations: a meeting's attendees in Notion are contact ids in Supabase, and back", async () => {
    const d = await deployment();
    const ada = d.k.notion.createPage(d.k.ds.contacts, { Name: title('Ada') });
    const grace = d.k.notion.createPage(d.k.ds.contacts, { Name: title('Grace') });
    await d.k.db.db.run("INSERT INTO contact_links (contact_id, system, external_id) VALUES ('c-ada', 'notion', ?), ('c-grace', 'notion', ?)", [ada, grace]);
    await d.webhooks.on();
    const page = await d.k.user.create(d.k.ds.meetings, { Title: 'Design review', Attendees: [ada] });
    await until(async () => JSON.stringify((await d.rows('meetings'))[0]?.attendees) === '["c-ada"]', 'attendees as contact ids', 30_000);
    await d.k.supabase.sql("UPDATE meetings SET attendees = ARRAY['c-ada', 'c-grace']");
    await until(async () => JSON.stringify(await d.value(page.id, 'Attendees')) === JSON.stringify([ada, grace]), 'contact ids as attendees', 30_000);
  }, 120_000);

  it('safety valve: Notion answering nothing for a 1,000-row table writes nothing and alerts', async () => {
    const d = await deployment();
    for (let i = 0; i < 1000; i++) d.k.notion.createPage(d.k.ds.books, { Name: title(`B${i}`) });
    await d.api('/api/sync/books?full=true');
    await until(async () => (await d.k.supabase.sql<{ n: number }>('SELECT count(*)::int AS n FROM books'))[0]!.n === 1000, '1,000 rows', 120_000);
    // Every page gone from the data source's answers (as a broken share or filter would make it).
    for (const p of d.k.notion.pagesIn(d.k.ds.books)) d.k.notion.store.pages.get(p.id as string)!.dataSourceId = d.k.ds.emptyBooks;
    await d.api('/api/sync/books?full=true');
    const alert = await until(async () => d.sink.alerts.find((a) => a.kind === 'safety_valve'), 'the safety valve alert', 30_000);
    expect(alert.message).toMatch(/answered 0 live record\(s\) for 1000/);
    expect(await d.k.supabase.sql('SELECT count(*)::int AS n FROM books WHERE deleted_at IS NULL')).toEqual([{ n: 1000 }]);
  }, 240_000);
});
