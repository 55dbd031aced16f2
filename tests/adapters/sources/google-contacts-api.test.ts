import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthError } from '../../../src/errors.js';
import { collectSource, sourceStateKey } from '../../../src/sync/collect-source.service.js';
import type { ConfiguredSource } from '../../../src/sync/kith-config.js';
import { readSyncState, saveCursor } from '../../../src/sync/sync-state.store.js';
import { CONTACTS_READONLY_SCOPE, type PeopleEmulator, startPeopleEmulator } from '../../emulators/google/people/people-emulator.js';
import { loadContactsCsvIntoPeople } from '../../support/google-contacts-book.js';
import { cleanupRedis, ENGINES, freshDb, redisUrl, type TestDb, uniquePrefix } from '../../support/test-env.js';

const CSV = join(import.meta.dirname, '../../../examples/exports/google-contacts-csv/contacts.csv');
const self = { emails: ['me@example.com'], phones: [], names: [] };

const ENV = ['REDIS_URL', 'KITH_QUEUE_PREFIX', 'GOOGLE_ACCESS_TOKEN', 'KITH_DATA_DIR'] as const;

/** Every person and their identities: what "counts once" must leave unchanged. */
async function people(t: TestDb) {
  return t.db.all<{ canonical_name: string; emails: string; phones: string; company: string | null }>(
    'SELECT canonical_name, emails, phones, company FROM people WHERE merged_into IS NULL ORDER BY canonical_name, emails',
  );
}
async function entities(t: TestDb, source: string): Promise<string[]> {
  return (await t.db.all<{ external_id: string }>('SELECT external_id FROM source_entities WHERE source = ? ORDER BY external_id', [source])).map((r) => r.external_id);
}

for (const engine of ENGINES) {
  describe(`the google-contacts source through the People API (${engine})`, () => {
    let t: TestDb;
    let em: PeopleEmulator;
    let dir: string;
    let prefix: string;
    const saved: Record<string, string | undefined> = {};
    const book = (extra: Record<string, unknown> = {}) => ({ id: 'my-contacts', type: 'google-contacts', path: '', base_url: em.url, ...extra }) as unknown as ConfiguredSource;

    beforeAll(() => {
      for (const k of ENV) saved[k] = process.env[k];
    });
    afterAll(() => {
      for (const k of ENV) if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    });
    beforeEach(async () => {
      t = await freshDb(engine);
      em = await startPeopleEmulator();
      dir = mkdtempSync(join(tmpdir(), 'kith-people-'));
      prefix = uniquePrefix();
      Object.assign(process.env, { REDIS_URL: redisUrl(), KITH_QUEUE_PREFIX: prefix, GOOGLE_ACCESS_TOKEN: em.token, KITH_DATA_DIR: dir });
    });
    afterEach(async () => {
      await em.close();
      await t.dispose();
      await cleanupRedis(prefix);
      rmSync(dir, { recursive: true, force: true });
    });

    it('counts a contact once whether it came from the CSV export or the People API', async () => {
      const csv = await collectSource(t.db, { id: 'export', type: 'google-contacts-csv', path: CSV } as ConfiguredSource, self);
      expect(csv.result.contacts).toBe(6);
      const before = await people(t);
      expect(before).toHaveLength(6);
      expect(await loadContactsCsvIntoPeople(em, CSV)).toHaveLength(6);

      const api = await collectSource(t.db, book(), self);
      expect(api.result.contacts).toBe(6);
      expect(await people(t)).toEqual(before);
      // Each API contact is an entry of the same person the CSV row made: no person of its own.
      const shared = await t.db.all<{ n: number }>(
        `SELECT COUNT(DISTINCT a.person_id) AS n FROM source_entities a JOIN source_entities c ON c.person_id = a.person_id
         WHERE a.source = 'google-contacts' AND c.source = 'google-contacts-csv'`,
      );
      expect(Number(shared[0]!.n)).toBe(6);
      // Read again from its sync token: nothing changed, nothing added.
      const again = await collectSource(t.db, book(), self);
      expect(again.result.contacts).toBe(0);
      expect(await people(t)).toEqual(before);
    });

    it('reads the changes since its sync token: new and edited contacts, deleted ones leave the address book', async () => {
      const [ada, bob] = em.add(
        { names: [{ givenName: 'Ada', familyName: 'Lovelace' }], emailAddresses: [{ value: 'ada@example.org' }], organizations: [{ name: 'Engines Ltd', title: 'Analyst' }] },
        { names: [{ displayName: 'Bob Byte' }], phoneNumbers: [{ value: '+44 20 7946 0018' }] },
      );
      const first = await collectSource(t.db, book(), self);
      expect(first.result.contacts).toBe(2);
      expect(JSON.parse((await readSyncState(t.db, sourceStateKey('my-contacts')))!.cursor!)).toMatchObject({ mode: 'sync' });
      expect((await people(t)).find((p) => p.canonical_name === 'Ada Lovelace')!.company).toBe('Engines Ltd');

      em.edit(ada!, { emailAddresses: [{ value: 'ada@example.org' }, { value: 'ada@engines.example' }] });
      em.remove(bob!);
      em.add({ names: [{ displayName: 'Cy Cole' }], emailAddresses: [{ value: 'cy@example.org' }] });
      const lists = em.stats.requests['connections.list']!;
      const second = await collectSource(t.db, book(), self);
      expect(em.stats.requests['connections.list']! - lists).toBe(1);
      expect(second.result.contacts).toBe(2);
      expect(second.result.contactsRemoved).toBe(1);
      expect(await entities(t, 'google-contacts')).toEqual([ada!, 'people/c1002'].sort());
      const after = await people(t);
      expect(JSON.parse(after.find((p) => p.canonical_name === 'Ada Lovelace')!.emails)).toEqual(['ada@engines.example', 'ada@example.org']);
      // Bob keeps his person, without the card's phone: it came from the deleted contact alone.
      expect(JSON.parse(after.find((p) => p.canonical_name === 'Bob Byte')!.phones)).toEqual([]);
    });

    it('an expired sync token starts a full re-read for that source, noted in sync_state, adding no duplicate', async () => {
      await loadContactsCsvIntoPeople(em, CSV);
      await collectSource(t.db, book(), self);
      const before = await people(t);
      em.add({ names: [{ displayName: 'Dee Dunn' }], emailAddresses: [{ value: 'dee@example.org' }] });
      em.expireSyncTokens();
      const again = await collectSource(t.db, book(), self);
      expect(again.result.cursorInvalid).toMatch(/sync token expired.*EXPIRED_SYNC_TOKEN/);
      expect(again.result.contacts).toBe(7);
      const after = await people(t);
      expect(after).toHaveLength(7);
      expect(after.filter((p) => p.canonical_name !== 'Dee Dunn')).toEqual(before);
      const state = (await readSyncState(t.db, sourceStateKey('my-contacts')))!;
      expect(state.last_warning).toMatch(/cursor invalid.*EXPIRED_SYNC_TOKEN/);
      expect(JSON.parse(state.cursor!)).toMatchObject({ mode: 'sync' });
    });

    it('a run stopped after two pages resumes from the last committed cursor and reads no page twice', async () => {
      await loadContactsCsvIntoPeople(em, CSV);
      const stop = new AbortController();
      let pages = 0;
      const progress = () => {
        if (++pages === 2) stop.abort();
      };
      await expect(collectSource(t.db, book({ page_size: 2 }), self, { signal: stop.signal, progress, batchSize: 1 })).rejects.toThrow(/aborted/);
      // Two pages committed; the third was being read when the run stopped, and is not committed.
      expect(await entities(t, 'google-contacts')).toHaveLength(4);
      const lists = em.stats.requests['connections.list']!;

      const rest = await collectSource(t.db, book({ page_size: 2 }), self, { batchSize: 1 });
      expect(JSON.parse(rest.result.resumedFrom!)).toMatchObject({ mode: 'full', pageToken: expect.any(String) });
      expect(em.stats.requests['connections.list']! - lists).toBe(1);
      expect(rest.result.contacts).toBe(2);
      expect(await entities(t, 'google-contacts')).toHaveLength(6);
      expect(await people(t)).toHaveLength(6);
    });

    it('a stored page token People no longer takes reads everything again, adding no duplicate', async () => {
      await loadContactsCsvIntoPeople(em, CSV);
      await collectSource(t.db, book(), self);
      await saveCursor(t.db, sourceStateKey('my-contacts'), JSON.stringify({ v: 1, mode: 'full', pageToken: 'gone' }));
      const again = await collectSource(t.db, book(), self);
      expect(again.result.cursorInvalid).toMatch(/refused the stored page token/);
      expect(again.result.contacts).toBe(6);
      expect(await people(t)).toHaveLength(6);
      expect(await entities(t, 'google-contacts')).toHaveLength(6);
    });

    it('waits out 429 Retry-After and a 5xx burst without failing', async () => {
      await loadContactsCsvIntoPeople(em, CSV);
      em.fault({ path: '/connections', status: 429, headers: { 'retry-after': '1' }, body: { error: { code: 429, message: 'Quota exceeded', status: 'RESOURCE_EXHAUSTED', details: [{ reason: 'RATE_LIMIT_EXCEEDED' }] } } });
      em.fault({ path: '/connections', status: 503, times: 3 });
      const r = await collectSource(t.db, book({ page_size: 4 }), self);
      expect(r.result.contacts).toBe(6);
      expect(em.stats.requests['connections.list']).toBe(2);
    });

    it('a refused token fails the source saying to run kith auth google; a missing scope names the contacts scope', async () => {
      em.add({ names: [{ displayName: 'Ada' }], emailAddresses: [{ value: 'ada@example.org' }] });
      em.revoke(em.token);
      const revoked = collectSource(t.db, book(), self);
      await expect(revoked).rejects.toBeInstanceOf(AuthError);
      await expect(revoked).rejects.toThrow(/kith auth google/);
      em.setToken(em.token, ['https://www.googleapis.com/auth/calendar.readonly']);
      await expect(collectSource(t.db, book(), self)).rejects.toThrow(/auth\/contacts .*kith auth google/);
      em.setToken(em.token, [CONTACTS_READONLY_SCOPE]);
      expect((await collectSource(t.db, book(), self)).result.contacts).toBe(1);
    });
  });
}
