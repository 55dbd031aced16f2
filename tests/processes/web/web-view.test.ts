import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { search } from '../../../src/search/search.service.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKith, spawnKith } from '../../support/cli.js';
import { cleanupRedis, ENGINES, freshDb, redisUrl, type TestDb, uniquePrefix } from '../../support/test-env.js';
import { type Browser, launchChromium } from './chromium.js';
import { conflictSide, recordConflict } from '../../../src/hub/stores/sync-conflicts.store.js';
import { LocalCanonicalStore } from '../../../src/systems/local/local-canonical.store.js';
import { contact, ID1, systemCopy } from '../../support/contacts/contact-fixtures.js';

const root = resolve(import.meta.dirname, '../../..');
const artefacts = join(root, 'test-artifacts/web');

/**
 * The web view in a real browser: `kith sync` over the bundled examples, `kith start` serving
 * the bundled front end, Debian's chromium driving every page. Screenshots of each page go to
 * test-artifacts/web/. One action (accepting a merge from the review list) is checked in the
 * database, and resolving a conflict is checked in the canonical store.
 */
describe.each(ENGINES)('web view in chromium (%s)', (engine) => {
  let dir = '';
  let prefix = '';
  let t: TestDb;
  let base = '';
  let server: ReturnType<typeof spawnKith> | undefined;
  let browser: Browser;
  let page: Page;

  const shot = (name: string) => page.screenshot({ path: join(artefacts, `${engine}-${name}.png`), fullPage: true });
  const open = async (path: string, ready: string) => {
    await page.goto(base + path);
    await page.waitForSelector(`body[data-ready="${ready}"]`, { timeout: 20_000 });
  };

  beforeAll(async () => {
    mkdirSync(artefacts, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'kith-web-'));
    cpSync(join(root, 'examples'), join(dir, 'examples'), { recursive: true });
    prefix = uniquePrefix();
    t = await freshDb(engine);
    const env = { KITH_CONFIG: join(dir, 'examples/kith.config.yaml'), KITH_DATA_DIR: join(dir, 'data'), REDIS_URL: redisUrl(), KITH_QUEUE_PREFIX: prefix, DATABASE_URL: t.url, KITH_PORT: '0' };
    const sync = await runKith(['sync', '--json'], env, 120_000);
    expect(sync.code, sync.stderr).toBe(0);
    server = spawnKith(['start', '--no-workers'], env, /Press Ctrl-C/, 60_000);
    await server.started;
    base = /web view:\s+(http:\/\/\S+?)\/(\s|$)/.exec(server.output().stdout)![1]!;
    browser = await launchChromium();
    page = await browser.context.newPage();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (server) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await t?.dispose();
    await cleanupRedis(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('People lists everyone, sorted by strength, and the search narrows it on the server', async () => {
    await open('/', 'people');
    const live = await t.db.all<{ canonical_name: string }>('SELECT canonical_name FROM people WHERE merged_into IS NULL ORDER BY (strength IS NULL), strength DESC, id');
    const names = await page.locator('#people-table tbody tr td:first-child a').allTextContents();
    expect(names.length).toBe(live.length);
    expect(names[0]).toBe(live[0]!.canonical_name);
    await shot('people');

    // Sorting is the server's: a column header reloads the page in that order.
    await page.click('#people-table th a:text-is("call")');
    await page.waitForURL(/sort=call/);
    await page.waitForSelector('body[data-ready="people"]');
    const most = await t.db.get<{ n: number }>('SELECT MAX(call_count) AS n FROM people WHERE merged_into IS NULL');
    expect(await page.locator('#people-table tbody tr:first-child td:last-child').textContent()).toBe(String(most!.n));

    await page.fill('#people-search', 'lovelace');
    await page.waitForURL(/q=lovelace/);
    await page.waitForSelector('body[data-ready="people"]');
    expect(await page.locator('#people-table tbody tr td:first-child a').allTextContents()).toEqual(['Ada Lovelace']);
    expect(await page.locator('.toolbar .muted').textContent()).toBe('1–1 of 1');
  });

  it('Person shows the identities, counts, monthly chart, often-with list and the timeline', async () => {
    await page.click('#people-table tbody tr td:first-child a');
    await page.waitForURL(/\/people\/p_/);
    await page.waitForSelector('body[data-ready="person"]');
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    const person = (await t.db.get<{ canonical_name: string; message_count: number }>('SELECT canonical_name, message_count FROM people WHERE id = ?', [id]))!;
    expect(person.canonical_name).toBe('Ada Lovelace');
    expect(await page.locator('h1').textContent()).toBe('Ada Lovelace');
    const interactions = await t.db.all<{ title: string }>('SELECT title FROM interactions WHERE person_id = ? ORDER BY occurred_at DESC, id DESC LIMIT 30', [id]);
    const titles = await page.locator('#timeline li .title').allTextContents();
    expect(titles).toEqual(interactions.map((i) => i.title || '(no title)'));
    expect(await page.locator('#monthly-chart canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('#monthly-chart .u-legend').textContent()).toContain('message');
    expect(await page.locator('#channel-counts').textContent()).toContain(String(person.message_count));
    const entities = await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM source_entities WHERE person_id = ?', [id]);
    expect(await page.locator('#identities tbody tr').count()).toBe(Number(entities!.n));
    expect(await page.locator('#often-with tbody tr').count()).toBeGreaterThan(0);
    // The contact trail: every version the canonical store kept (the promotion wrote them), newest first.
    await page.waitForSelector('#contact-trail div.trail');
    const first = await t.db.get<{ contact_id: string }>('SELECT contact_id FROM contacts WHERE person_id = ? ORDER BY deleted_at IS NOT NULL, contact_id LIMIT 1', [id]);
    const kept = await t.db.all<{ version: number; origin: string; system: string }>(
      'SELECT version, origin, system FROM contact_versions WHERE contact_id = ? ORDER BY change_seq DESC',
      [first!.contact_id],
    );
    expect(kept.length).toBeGreaterThan(0);
    expect(kept[0]).toMatchObject({ origin: 'promotion', system: 'kith' });
    const rows = await page.locator('#contact-trail table.trail-versions').first().locator('tbody tr').allTextContents();
    expect(rows).toHaveLength(kept.length);
    expect(rows[0]).toContain(`v${kept[0]!.version}`);
    expect(rows[0]).toContain('kithpromotion');
    expect(rows[0]).toContain('canonical_name');
    // What the search index holds about them, newest first, as `kith search --person` lists it.
    await page.waitForSelector('#search-panel li');
    const indexed = await search(t.db, { personId: id, limit: 10 });
    expect(indexed.hits.length).toBeGreaterThan(0);
    expect(await page.locator('#search-panel li strong').allTextContents()).toEqual(indexed.hits.map((x) => x.title || x.ref));
    await shot('person');

    // A name in the often-with list opens that person.
    const other = page.locator('#often-with tbody tr td:first-child a').first();
    const otherName = await other.textContent();
    await other.click();
    await page.waitForFunction(`document.body.dataset.ready === 'person' && document.querySelector('h1')?.textContent === ${JSON.stringify(otherName)}`);
  });

  it('Graph draws the strongest people and a click on a node opens that person', async () => {
    await open('/graph?limit=50', 'graph');
    const nodes = (await page.evaluate('window.kithGraph.nodes()')) as { id: string; x: number; y: number }[];
    const people = await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM people WHERE merged_into IS NULL');
    expect(nodes.length).toBe(Math.min(50, Number(people!.n)));
    await shot('graph');
    const box = (await page.locator('#graph').boundingBox())!;
    const target = nodes[0]!;
    await page.mouse.click(box.x + target.x, box.y + target.y);
    await page.waitForURL(new RegExp(`/people/${target.id}$`));
    await page.waitForSelector('body[data-ready="person"]');

    await open('/graph?min_strength=1000', 'graph');
    expect(await page.locator('#graph').textContent()).toContain('Nobody matches');
  });

  it('Sync shows the run, the sources and the hub; a run shows its steps over time', async () => {
    await open('/sync', 'sync');
    const run = (await t.db.get<{ id: string }>('SELECT id FROM sync_runs ORDER BY started_at DESC LIMIT 1'))!;
    const sources = await t.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM sync_state WHERE key LIKE 'source:%'");
    expect(await page.locator('#sources tbody tr').count()).toBe(Number(sources!.n));
    expect(await page.locator('#hub-systems').textContent()).toContain('local');
    await shot('sync');
    await page.click(`#runs a[href="/sync/runs/${run.id}"]`);
    await page.waitForSelector('body[data-ready="run"]');
    const steps = await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM sync_run_steps WHERE run_id = ?', [run.id]);
    expect(await page.locator('#run-gantt .gantt-row').count()).toBe(Number(steps!.n));
    expect(await page.locator('#steps tbody tr').count()).toBe(Number(steps!.n));
    await shot('run');
  });

  it('accepting a review merges the people in the database', async () => {
    const [a, b] = await t.db.all<{ id: string }>("SELECT id FROM people WHERE merged_into IS NULL AND canonical_name IN ('Bob Stone', 'Pat O''Neil') ORDER BY canonical_name");
    // A review as the linker writes one: an entity whose identifiers match both people.
    await t.db.run("INSERT INTO link_reviews (id, source, external_id, candidates, reason, status, created_at) VALUES ('rev_web', 'vcard', 'email:bob@example.com', ?, 'matches several people', 'open', ?)", [
      JSON.stringify([a!.id, b!.id]),
      Date.now(),
    ]);
    await open('/sync', 'sync');
    const item = page.locator('#reviews li[data-review="rev_web"]');
    await item.locator('button[data-action="accept-review"]').click();
    await item.locator('.ok').waitFor();
    expect(await item.locator('.ok').textContent()).toContain(`into ${a!.id}`);
    await shot('sync-after-merge');
    const merged = await t.db.get<{ merged_into: string | null }>('SELECT merged_into FROM people WHERE id = ?', [b!.id]);
    expect(merged!.merged_into).toBe(a!.id);
    const review = await t.db.get<{ status: string }>("SELECT status FROM link_reviews WHERE id = 'rev_web'");
    expect(review!.status).toBe('accepted');
    const audit = await t.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM people_audit WHERE kind = 'merge'");
    expect(Number(audit!.n)).toBe(1);
    // Accepting again (a double click, a retried request) changes nothing.
    const again = await page.evaluate(`fetch('/api/reviews/rev_web/accept', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then((r) => r.json())`);
    expect(again).toMatchObject({ alreadyAccepted: true, keep: a!.id });
    expect(Number((await t.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM people_audit WHERE kind = 'merge'"))!.n)).toBe(1);
  });
  it('resolving a conflict from the Sync page stores the chosen side in the canonical store', async () => {
    const store = new LocalCanonicalStore(t.db);
    await store.put(contact());
    const theirs = systemCopy(contact({ job_title: 'Countess' }), 'supabase', { version: 3 });
    const { id } = await recordConflict(t.db, { contactId: ID1, a: conflictSide((await store.get(ID1))!), b: conflictSide(theirs), reason: 'tie', now: Date.now() });
    await open('/sync', 'sync');
    const item = page.locator(`#conflicts li[data-conflict="${id}"]`);
    expect(await item.textContent()).toContain('Countess');
    await shot('sync-conflict');
    await item.locator('button[data-action="take-b"]').click();
    await item.locator('.ok').waitFor();
    expect((await store.get(ID1))!.job_title).toBe('Countess');
    const row = await t.db.get<{ resolved_at: number | null }>('SELECT resolved_at FROM sync_conflicts WHERE id = ?', [id]);
    expect(row!.resolved_at).not.toBeNull();
  });
});
