import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthError } from '../../../src/errors.js';
import { createRedis } from '../../../src/redis/connection.js';
import { contentSource } from '../../../src/sources/registry.js';
import type { ContentSyncContext } from '../../../src/sources/source-declaration.js';
import { collectSource, sourceStateKey } from '../../../src/sync/collect-source.service.js';
import type { ConfiguredSource } from '../../../src/sync/kith-config.js';
import { readSyncState } from '../../../src/sync/sync-state.store.js';
import { driveLimiterKey } from '../../../src/systems/google/google-quota.js';
import { type DriveEmulator, startDriveEmulator } from '../../emulators/google/drive/drive-emulator.js';
import { cleanupRedis, ENGINES, freshDb, redisUrl, type TestDb, uniquePrefix } from '../../support/test-env.js';

const self = { emails: ['me@example.com'], phones: [], names: [] };
const ENV = ['REDIS_URL', 'KITH_QUEUE_PREFIX', 'GOOGLE_ACCESS_TOKEN', 'KITH_DATA_DIR'] as const;
const ada = { displayName: 'Ada Lovelace', emailAddress: 'ada@example.com' };

/** Every Markdown file under a folder, by relative path, with its text. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out[relative(dir, full)] = readFileSync(full, 'utf8');
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

for (const engine of ENGINES) {
  describe(`the Google Drive source through the API (${engine})`, () => {
    let t: TestDb;
    let em: DriveEmulator;
    let dir: string;
    let vault: string;
    let into: string;
    let prefix: string;
    const saved: Record<string, string | undefined> = {};
    const entry = (extra: Record<string, unknown> = {}) => ({ id: 'my-drive', type: 'google-drive', path: '', base_url: em.url, into, ...extra });
    const sync = (extra: Record<string, unknown> = {}, ctx: Partial<ContentSyncContext> = {}) => contentSource('google-drive').sync(entry(extra), { db: t.db, ...ctx });
    const result = async (extra: Record<string, unknown> = {}, ctx: Partial<ContentSyncContext> = {}) => (await sync(extra, ctx)).result as { written: number; unchanged: number; removed: number; skipped: number; skippedSample: { reason: string }[]; mode: string; resumedFrom: string | null; cursorInvalid?: string; rateLimited: number };
    const cursor = async () => JSON.parse((await readSyncState(t.db, sourceStateKey('my-drive')))!.cursor!) as Record<string, string>;

    beforeAll(() => {
      for (const k of ENV) saved[k] = process.env[k];
    });
    afterAll(() => {
      for (const k of ENV) if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    });
    beforeEach(async () => {
      t = await freshDb(engine);
      em = await startDriveEmulator();
      dir = mkdtempSync(join(tmpdir(), 'kith-drive-'));
      vault = join(dir, 'vault');
      into = join(vault, 'Drive');
      prefix = uniquePrefix();
      Object.assign(process.env, { REDIS_URL: redisUrl(), KITH_QUEUE_PREFIX: prefix, GOOGLE_ACCESS_TOKEN: em.token, KITH_DATA_DIR: join(dir, 'data') });
    });
    afterEach(async () => {
      await em.close();
      await t.dispose();
      await cleanupRedis(prefix);
      rmSync(dir, { recursive: true, force: true });
    });

    it('writes Docs as Markdown, Sheets as a table and text files into the vault folder as the Drive export lays them out', async () => {
      const docs = em.add({ name: 'Docs', kind: 'folder' });
      const plans = em.add({ name: 'Plans', kind: 'folder', parent: docs });
      em.add({ name: 'Plan', kind: 'doc', parent: plans, content: '# Plan\n\nShip it.', editors: [ada] });
      em.add({ name: 'Budget', kind: 'sheet', parent: docs, content: 'item,cost\nrent,100\n' });
      em.add({ name: 'notes.txt', kind: 'text', content: 'plain notes' });
      em.add({ name: 'readme.md', kind: 'markdown', content: '## Read me' });
      em.add({ name: 'scan.pdf', kind: 'pdf', content: '%PDF' });

      const r = await result();
      expect(r).toMatchObject({ written: 4, unchanged: 0, removed: 0, skipped: 0, mode: 'full', resumedFrom: null });
      const files = tree(into);
      expect(Object.keys(files).sort()).toEqual(['Docs/Budget.md', 'Docs/Plans/Plan.md', 'notes.md', 'readme.md']);
      expect(files['Docs/Plans/Plan.md']).toMatch(/^---\ndrive_file_id: "f\d+x+"\n/);
      expect(files['Docs/Plans/Plan.md']).toContain('source_file: "Docs/Plans/Plan"');
      expect(files['Docs/Plans/Plan.md']).toContain('people: ["Me <me@example.com>","Ada Lovelace <ada@example.com>"]');
      expect(files['Docs/Plans/Plan.md']).toMatch(/---\n\n# Plan\n\nShip it\.\n$/);
      expect(files['Docs/Budget.md']).toContain('| item | cost |\n| --- | --- |\n| rent | 100 |');
      expect(files['notes.md']).toContain('plain notes');
      expect(await cursor()).toMatchObject({ mode: 'changes' });

      // Nothing changed: no export, no write.
      const mtimes = Object.keys(files).map((f) => statSync(join(into, f)).mtimeMs);
      const exports = em.stats.exports.length;
      const again = await result();
      expect(again).toMatchObject({ written: 0, removed: 0, mode: 'changes' });
      expect(em.stats.exports.length).toBe(exports);
      expect(Object.keys(files).map((f) => statSync(join(into, f)).mtimeMs)).toEqual(mtimes);
      expect(tree(into)).toEqual(files);
    });

    it('follows Drive changes: edits rewrite, unchanged saves do not, renames move, trashed and deleted files lose their written file', async () => {
      const a = em.add({ name: 'Alpha', kind: 'doc', content: 'first' });
      const b = em.add({ name: 'Beta', kind: 'doc', content: 'beta' });
      const c = em.add({ name: 'Gamma', kind: 'sheet', content: 'x\n1\n' });
      const d = em.add({ name: 'Delta', kind: 'doc', content: 'delta' });
      const e = em.add({ name: 'Epsilon', kind: 'doc', content: 'eps' });
      await result();
      const epsilonBefore = readFileSync(join(into, 'Epsilon.md'), 'utf8');
      const listBefore = em.stats.requests['files.list'];

      em.edit(a, { content: 'second' });
      em.touch(e);
      em.edit(b, { name: 'Beta renamed' });
      em.trash(c);
      em.remove(d);
      em.add({ name: 'Zeta', kind: 'doc', content: 'new' });
      const r = await result();
      expect(em.stats.requests['files.list']).toBe(listBefore); // changes, not a listing
      expect(r).toMatchObject({ mode: 'changes', written: 3, unchanged: 1, removed: 2 });
      const files = tree(into);
      expect(Object.keys(files).sort()).toEqual(['Alpha.md', 'Beta renamed.md', 'Epsilon.md', 'Zeta.md']);
      expect(files['Alpha.md']).toMatch(/\nsecond\n$/);
      // Saved again unchanged: the hash matches, the file is not rewritten.
      expect(files['Epsilon.md']).toBe(epsilonBefore);
      expect(await cursor()).toMatchObject({ mode: 'changes' });
    });

    it('a folder renamed, moved or trashed moves or removes the files of the documents inside it, exporting nothing again', async () => {
      const work = em.add({ name: 'Work', kind: 'folder' });
      const sub = em.add({ name: 'Sub', kind: 'folder', parent: work });
      const old = em.add({ name: 'Old', kind: 'folder' });
      em.add({ name: 'Deep', kind: 'doc', parent: sub, content: 'deep [Ada](mailto:ada@example.com)' });
      em.add({ name: 'Gone', kind: 'doc', parent: old, content: 'gone' });
      await result();
      expect(Object.keys(tree(into)).sort()).toEqual(['Old/Gone.md', 'Work/Sub/Deep.md']);
      const exports = em.stats.exports.length;

      em.edit(work, { name: 'Job' });
      em.trash(old);
      const r = await result();
      expect(r).toMatchObject({ mode: 'changes', written: 1, removed: 1 });
      expect(em.stats.exports.length).toBe(exports);
      const files = tree(into);
      expect(Object.keys(files)).toEqual(['Job/Sub/Deep.md']);
      expect(files['Job/Sub/Deep.md']).toContain('source_file: "Job/Sub/Deep"');
      expect(files['Job/Sub/Deep.md']).toMatch(/people: \[.*"Ada <ada@example\.com>"\]\n---\n\ndeep \[Ada\]\(mailto:ada@example\.com\)\n$/);
    });

    it('a second document of the same name in one folder keeps its id in its file name', async () => {
      em.add({ name: 'Minutes', kind: 'doc', content: 'one' });
      const two = em.add({ name: 'Minutes', kind: 'doc', content: 'two' });
      await result();
      expect(Object.keys(tree(into)).sort()).toEqual([`Minutes (${two}).md`, 'Minutes.md']);
      expect(await result()).toMatchObject({ written: 0, unchanged: 0 });
    });

    it('two Drive sources sharing a folder leave each other\'s files alone', async () => {
      const plan = em.add({ name: 'Plan', kind: 'doc', content: 'plan' });
      await result();
      const other = await contentSource('google-drive').sync({ ...entry(), id: 'other-drive' }, { db: t.db, full: true });
      expect(other.result).toMatchObject({ written: 1, removed: 0 });
      expect(Object.keys(tree(into)).sort()).toEqual([`Plan (${plan}).md`, 'Plan.md']);
      expect(await result({}, { full: true })).toMatchObject({ written: 0, unchanged: 1, removed: 0 });
      expect(Object.keys(tree(into))).toHaveLength(2);
    });

    it('links a person mentioned by email in a Drive doc once the vault is read', async () => {
      em.add({ name: 'Kickoff', kind: 'doc', content: 'Met [Grace Hopper](mailto:grace@example.com) and bob@example.com about the launch.' });
      await result();
      const notes = await collectSource(t.db, { id: 'notes', type: 'vault', path: vault } as ConfiguredSource, self);
      expect(notes.result.interactions.inserted).toBeGreaterThanOrEqual(2);
      const linked = await t.db.all<{ canonical_name: string; emails: string; external_id: string }>(
        "SELECT p.canonical_name, p.emails, i.external_id FROM interactions i JOIN people p ON p.id = i.person_id WHERE i.source_type = 'vault' ORDER BY p.emails",
      );
      expect(linked.map((l) => l.external_id)).toEqual(['Drive/Kickoff.md#email:bob@example.com', 'Drive/Kickoff.md#email:grace@example.com']);
      expect(linked.map((l) => l.emails).join(' ')).toMatch(/bob@example\.com.*grace@example\.com/);
      expect(linked.find((l) => l.emails.includes('grace'))!.canonical_name).toBe('Grace Hopper');
    });

    for (const status of [400, 404] as const) {
      it(`a page token Drive refuses (${status}) reads the whole Drive again with a warning, writing no duplicate`, async () => {
        em.add({ name: 'Keep', kind: 'doc', content: 'keep' });
        const gone = em.add({ name: 'Gone', kind: 'doc', content: 'gone' });
        await result();
        em.remove(gone);
        em.add({ name: 'New', kind: 'doc', content: 'new' });
        em.expireChanges(status);
        const r = await result();
        expect(r.cursorInvalid).toMatch(/refused the stored page token/);
        expect(r).toMatchObject({ mode: 'full', written: 1, unchanged: 1, removed: 1 });
        expect(Object.keys(tree(into)).sort()).toEqual(['Keep.md', 'New.md']);
        const state = await readSyncState(t.db, sourceStateKey('my-drive'));
        expect(state!.last_warning).toMatch(/cursor invalid, read again from the beginning/);
        expect(await cursor()).toMatchObject({ mode: 'changes' });
        expect(await result()).toMatchObject({ mode: 'changes', written: 0 });
      });
    }

    it('a run stopped after its first page resumes from the last committed cursor and exports nothing twice', async () => {
      for (let i = 1; i <= 5; i++) em.add({ name: `Doc ${i}`, kind: 'doc', content: `body ${i}` });
      const stop = new AbortController();
      const progress = () => stop.abort();
      await expect(sync({ page_size: 2, concurrency: 1 }, { signal: stop.signal, progress })).rejects.toThrow(/stopped.*resumes from the last cursor/);
      expect(Object.keys(tree(into))).toHaveLength(2);
      expect(await cursor()).toMatchObject({ mode: 'full', pageToken: '2' });

      const r = await result({ page_size: 2 });
      expect(r.resumedFrom).toMatch(/"pageToken":"2"/);
      expect(r).toMatchObject({ written: 3, unchanged: 0 });
      expect(em.stats.exports).toHaveLength(5);
      expect(new Set(em.stats.exports).size).toBe(5);
      expect(Object.keys(tree(into)).sort()).toEqual(['Doc 1.md', 'Doc 2.md', 'Doc 3.md', 'Doc 4.md', 'Doc 5.md']);
    });

    it('waits out 429 and 403 userRateLimitExceeded with Retry-After and a 5xx burst, and spends the shared limiter kept in Redis', async () => {
      em.add({ name: 'One', kind: 'doc', content: 'one' });
      em.add({ name: 'Two', kind: 'doc', content: 'two' });
      em.fault({ path: '/export', status: 429, headers: { 'retry-after': '1' }, body: { error: { code: 429, message: 'Too many', errors: [{ reason: 'rateLimitExceeded' }] } } });
      em.fault({ path: '/changes/startPageToken', status: 403, headers: { 'retry-after': '1' }, body: { error: { code: 403, message: 'User rate limit exceeded.', errors: [{ domain: 'usageLimits', reason: 'userRateLimitExceeded' }] } } });
      em.fault({ path: '/drive/v3/files', status: 503, times: 3 });
      const r = await result();
      expect(r).toMatchObject({ written: 2, rateLimited: 2 });
      const sent = Object.values(em.stats.requests).reduce((a, b) => a + b, 0);
      const redis = createRedis(redisUrl(), { name: 'test:drive-limiter' });
      try {
        // Every request the emulator answered, and the ones it refused, holds a slot of the minute.
        expect(await redis.zcard(driveLimiterKey(prefix, 'source:my-drive'))).toBe(sent + 5);
      } finally {
        await redis.quit();
      }
    });

    it('skips and reports a document too large to export, and writes the rest', async () => {
      em.add({ name: 'Huge', kind: 'doc', content: 'x', exportBytes: 11 * 1024 * 1024 });
      em.add({ name: 'Small', kind: 'doc', content: 'small' });
      const r = await result();
      expect(r).toMatchObject({ written: 1, skipped: 1 });
      expect(r.skippedSample[0]!.reason).toMatch(/exportSizeLimitExceeded/);
      expect(Object.keys(tree(into))).toEqual(['Small.md']);
    });

    it('reads only the folders named, and converts Docs exported as HTML', async () => {
      const work = em.add({ name: 'Work', kind: 'folder' });
      const sub = em.add({ name: 'Sub', kind: 'folder', parent: work });
      em.add({ name: 'Inside', kind: 'doc', parent: sub, content: 'x', html: '<html><body><h1>Title</h1><p>Some <strong>bold</strong> text</p></body></html>' });
      em.add({ name: 'Outside', kind: 'doc', content: 'y' });
      await result({ folders: [work], doc_format: 'html' });
      const files = tree(into);
      expect(Object.keys(files)).toEqual(['Work/Sub/Inside.md']);
      expect(files['Work/Sub/Inside.md']).toMatch(/# Title\n\nSome \*\*bold\*\* text\n$/);
    });

    it('a refused token fails the source saying to run kith auth google; a missing scope names drive.readonly', async () => {
      em.add({ name: 'One', kind: 'doc', content: 'one' });
      em.revoke(em.token);
      const revoked = sync();
      await expect(revoked).rejects.toBeInstanceOf(AuthError);
      await expect(revoked).rejects.toThrow(/kith auth google/);
      em.setToken(em.token, ['https://www.googleapis.com/auth/gmail.readonly']);
      await expect(sync()).rejects.toThrow(/drive\.readonly.*kith auth google/);
    });
  });
}
