import { afterEach, describe, expect, it } from 'vitest';
import { readSyncLogs } from '../../../src/sync/sync-log.store.js';
import { listTableConflicts } from '../../../src/tables/stores/table-conflicts.store.js';
import { runTableSync } from '../../../src/tables/services/table-sync.service.js';
import { resolveTableConflict } from '../../../src/tables/services/table-conflicts.service.js';
import { tablesStatus } from '../../../src/tables/services/table-status.service.js';
import type { NotionPages } from '../../../src/systems/notion/notion-pages.port.js';
import { until } from '../../support/hub/hub-kit.js';
import { startTableKit } from '../../support/tables/table-kit.js';
import { ENGINES } from '../../support/test-env.js';

const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function kit(engine: (typeof ENGINES)[number]) {
  const k = await startTableKit(engine);
  stops.push(() => k.stop());
  const value = async (pageId: string, property: string) => (await k.user.get(pageId))!.properties[property]!.value;
  return { ...k, BOOKS: k.books, MEETINGS: k.meetings, value };
}
const title = (s: string) => ({ title: [{ type: 'text', text: { content: s } }] });

describe.each(ENGINES)('the table sync engine over Supabase (%s)', (engine) => {
  it('one-way: pages become rows, a trashed page a soft-deleted row, a Supabase edit is restored', async () => {
    const k = await kit(engine);
    for (let i = 0; i < 120; i++) await k.user.create(k.ds.books, { Name: `Book ${String(i).padStart(3, '0')}`, Author: 'A. Writer', Pages: 100 + i, Tags: ['b', 'a'], Finished: { start: '2024-03-05' }, Read: i % 2 === 0 });
    const first = await runTableSync(k.deps, k.BOOKS);
    expect(first).toMatchObject({ kind: 'full', supabase: { created: 120 }, failed: [] });
    const rows = await k.rows('books');
    expect(rows).toHaveLength(120);
    expect(rows[0]).toMatchObject({ title: 'Book 000', author: 'A. Writer', pages: 100, tags: ['a', 'b'], read: true, deleted_at: null, last_sync_source: 'notion' });
    expect(String(rows[0]!.finished)).toContain('2024');

    // Nothing changed: nothing written.
    await k.clock.advance(60_000);
    const again = await runTableSync(k.deps, k.BOOKS);
    expect(again).toMatchObject({ kind: 'incremental', supabase: { created: 0, updated: 0 } });

    const trashed = k.notion.pagesIn(k.ds.books).find((p) => JSON.stringify(p.properties).includes('Book 007'))!;
    await k.clock.advance(60_000);
    k.notion.trashPage(trashed.id as string);
    await k.supabase.sql("UPDATE books SET author = 'vandal' WHERE title = 'Book 003'");
    await k.clock.advance(60_000);
    const full = await runTableSync(k.deps, k.BOOKS, { full: true });
    expect(full.supabase).toMatchObject({ deleted: 1, restored: 1 });
    const after = await k.rows('books');
    expect(after.find((r) => r.title === 'Book 007')!.deleted_at).not.toBeNull();
    expect(after.find((r) => r.title === 'Book 003')).toMatchObject({ author: 'A. Writer', last_sync_source: 'notion' });

    // An incremental run restores an edit too (the change feed of updated_at).
    await k.supabase.sql("UPDATE books SET pages = 1 WHERE title = 'Book 004'");
    await k.clock.advance(1_000);
    const inc = await runTableSync(k.deps, k.BOOKS);
    expect(inc).toMatchObject({ kind: 'incremental', supabase: { restored: 1 } });
    expect((await k.rows('books')).find((r) => r.title === 'Book 004')!.pages).toBe(104);
    const logs = await readSyncLogs(k.db.db, { kind: 'table-sync' });
    expect(logs.length).toBe(4);
    expect(logs.every((l) => l.status === 'succeeded' && l.system === 'books')).toBe(true);
  });

  it('two-way: edits cross both ways, the newer of two edits wins and the other is kept, an edit a second after Kith wrote is not lost', async () => {
    const k = await kit(engine);
    const page = await k.user.create(k.ds.meetings, { Title: 'Kickoff', Date: { start: '2024-03-05T10:00:00.000Z' }, Summary: 'first notes', Attendees: [] });
    await runTableSync(k.deps, k.MEETINGS);
    const [row] = await k.rows('meetings');
    expect(row).toMatchObject({ title: 'Kickoff', summary: 'first notes', notion_page_id: page.id });

    // Supabase → Notion, then an edit one second after Kith's write reaches Notion too.
    await k.clock.advance(60_000);
    await k.supabase.sql("UPDATE meetings SET summary = 'edited in supabase'");
    await runTableSync(k.deps, k.MEETINGS);
    expect(await k.value(page.id, 'Summary')).toBe('edited in supabase');
    await k.clock.advance(1_000);
    await k.supabase.sql("UPDATE meetings SET summary = 'one second later'");
    const r2 = await runTableSync(k.deps, k.MEETINGS);
    expect(r2.notion.updated).toBe(1);
    expect(await k.value(page.id, 'Summary')).toBe('one second later');
    // Kith's own writes do not come back as edits: another run writes nothing.
    await k.clock.advance(60_000);
    const quiet = await runTableSync(k.deps, k.MEETINGS);
    expect(quiet).toMatchObject({ notion: { updated: 0, created: 0 }, supabase: { updated: 0, created: 0 } });

    // Notion → Supabase.
    await k.clock.advance(60_000);
    await k.user.update(page.id, { Summary: 'edited in notion' });
    await runTableSync(k.deps, k.MEETINGS);
    expect((await k.rows('meetings'))[0]!.summary).toBe('edited in notion');

    // Both sides: Notion first, Supabase a minute later: Supabase wins, Notion's edit is kept.
    await k.clock.advance(60_000);
    await k.user.update(page.id, { Summary: 'notion side' });
    await k.clock.advance(60_000);
    await k.supabase.sql("UPDATE meetings SET summary = 'supabase side'");
    const r3 = await runTableSync(k.deps, k.MEETINGS);
    expect(r3.conflicts).toHaveLength(1);
    expect(await k.value(page.id, 'Summary')).toBe('supabase side');
    const [c] = await listTableConflicts(k.db.db, { table: 'meetings' });
    expect(c).toMatchObject({ winner: { system: 'supabase' }, loser: { system: 'notion', content: { fields: { summary: 'notion side' } } } });
    expect(k.alerts.raised.some((a) => a.kind === 'new_conflict')).toBe(true);
    // `kith tables resolve <id> --take notion`: the kept side goes to both.
    await k.clock.advance(60_000);
    await resolveTableConflict(k.deps, c!.id, 'notion');
    expect(await k.value(page.id, 'Summary')).toBe('notion side');
    expect((await k.rows('meetings'))[0]!.summary).toBe('notion side');
    expect(await listTableConflicts(k.db.db, { table: 'meetings' })).toEqual([]);
    await expect(resolveTableConflict(k.deps, c!.id, 'notion')).rejects.toThrow(/resolved already/);

    // A row made in Supabase gets a page; a soft delete there trashes it.
    await k.supabase.sql("INSERT INTO meetings (title, summary) VALUES ('Retro', 'from the app')");
    await runTableSync(k.deps, k.MEETINGS);
    const retro = k.notion.pagesIn(k.ds.meetings).find((p) => JSON.stringify(p.properties).includes('Retro'))!;
    const retroId = retro.id as string;
    expect(await k.value(retroId, 'Summary')).toBe('from the app');
    await k.clock.advance(60_000);
    await k.supabase.sql("UPDATE meetings SET deleted_at = now() WHERE title = 'Retro'");
    await runTableSync(k.deps, k.MEETINGS);
    expect((await k.user.get(retroId))!.inTrash).toBe(true);
  });

  it('a first one-way sync writes the rows of each batch of pages while the next is read; a table the valve judges is written only after the whole read', async () => {
    const k = await kit(engine);
    for (let i = 0; i < 250; i++) k.notion.createPage(k.ds.books, { Name: title(`B${i}`) });
    const count = async () => (await k.supabase.sql<{ n: number }>('SELECT count(*)::int AS n FROM books'))[0]!.n;
    // Notion's answers, each asked for only once the rows of the batches before it are in Supabase (first sync),
    // or with the row count taken as it is asked for (later syncs).
    const atBatch: number[] = [];
    const gated = (waitForRows: boolean): NotionPages => ({
      ...k.deps.pages,
      async *query(ds, q) {
        let given = 0;
        for await (const batch of k.deps.pages.query(ds, q)) {
          if (given) atBatch.push(waitForRows ? await until(async () => ((await count()) >= given ? count() : undefined), `the rows of the first ${given} pages`, 20_000) : await count());
          given += batch.length;
          yield batch;
        }
      },
    });
    const first = await runTableSync({ ...k.deps, pages: gated(true) }, k.BOOKS, { full: true });
    expect(first).toMatchObject({ kind: 'full', supabase: { created: 250 }, unchanged: 0, failed: [] });
    expect(atBatch).toEqual([expect.any(Number), expect.any(Number)]);
    expect(atBatch[0]).toBeGreaterThanOrEqual(100);
    expect(atBatch[1]).toBeGreaterThanOrEqual(200);
    expect(await count()).toBe(250);
    // Every row is linked: the next run changes nothing.
    await k.clock.advance(60_000);
    expect(await runTableSync(k.deps, k.BOOKS, { full: true })).toMatchObject({ supabase: { created: 0, updated: 0 }, unchanged: 250 });

    // The table now holds rows the valve judges: new pages are written after the read, as the valve requires.
    for (let i = 250; i < 400; i++) k.notion.createPage(k.ds.books, { Name: title(`B${i}`) });
    atBatch.length = 0;
    const later = await runTableSync({ ...k.deps, pages: gated(false) }, k.BOOKS, { full: true });
    expect(later).toMatchObject({ supabase: { created: 150 }, unchanged: 250 });
    expect(atBatch).toEqual([250, 250, 250]);
    expect(await count()).toBe(400);
  }, 120_000);

  it('safety valve: an empty answer for a 1,000-row table writes nothing and alerts; --force goes through', async () => {
    const k = await kit(engine);
    for (let i = 0; i < 1000; i++) k.notion.createPage(k.ds.books, { Name: title(`B${i}`) });
    await runTableSync(k.deps, k.BOOKS);
    expect(await k.supabase.sql('SELECT count(*)::int AS n FROM books WHERE deleted_at IS NULL')).toEqual([{ n: 1000 }]);
    // Notion answers an empty list for the table's data source.
    const broken = { ...k.BOOKS, dataSourceId: k.ds.emptyBooks };
    const before = k.supabase.requests.filter((r) => r.method !== 'GET').length;
    const r = await runTableSync(k.deps, broken, { full: true });
    expect(r.aborted).toMatch(/answered 0 live record\(s\) for 1000/);
    expect(k.supabase.requests.filter((x) => x.method !== 'GET').length).toBe(before);
    expect(await k.supabase.sql('SELECT count(*)::int AS n FROM books WHERE deleted_at IS NULL')).toEqual([{ n: 1000 }]);
    expect(k.alerts.raised.find((a) => a.kind === 'safety_valve')).toMatchObject({ subject: 'table books' });
    const [log] = await readSyncLogs(k.db.db, { kind: 'table-sync' });
    expect(log).toMatchObject({ status: 'failed', system: 'books' });
    const [health] = await tablesStatus(k.db.db, [k.BOOKS], k.clock.now());
    expect(health).toMatchObject({ table: 'books', runs_24h: 2, success_rate_24h: 0.5, consecutive_failures: 1, error: expect.stringMatching(/safety valve/) });
    // --force: the run goes on (each row's page is looked up, found live, and nothing is deleted).
    const forced = await runTableSync(k.deps, broken, { full: true, force: true });
    expect(forced.aborted).toBeUndefined();
    expect(await k.supabase.sql('SELECT count(*)::int AS n FROM books WHERE deleted_at IS NULL')).toEqual([{ n: 1000 }]);
  }, 120_000);

  it("relations: a meeting's attendees in Notion are contact ids in Supabase, and back", async () => {
    const k = await kit(engine);
    const contacts = [
      { contactId: 'c-ada', pageId: k.notion.createPage(k.ds.contacts, { Name: title('Ada') }) },
      { contactId: 'c-grace', pageId: k.notion.createPage(k.ds.contacts, { Name: title('Grace') }) },
    ];
    for (const c of contacts) await k.db.db.run("INSERT INTO contact_links (contact_id, system, external_id) VALUES (?, 'notion', ?)", [c.contactId, c.pageId]);
    const page = await k.user.create(k.ds.meetings, { Title: 'Design review', Attendees: [contacts[0]!.pageId] });
    await runTableSync(k.deps, k.MEETINGS);
    expect((await k.rows('meetings'))[0]!.attendees).toEqual(['c-ada']);
    await k.clock.advance(60_000);
    await k.supabase.sql("UPDATE meetings SET attendees = ARRAY['c-ada', 'c-grace']");
    await runTableSync(k.deps, k.MEETINGS);
    expect(await k.value(page.id, 'Attendees')).toEqual(contacts.map((c) => c.pageId));
  });
});
