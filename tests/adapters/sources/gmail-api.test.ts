import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthError } from '../../../src/errors.js';
import { collectSource, sourceStateKey } from '../../../src/sync/collect-source.service.js';
import type { ConfiguredSource } from '../../../src/sync/kith-config.js';
import { readSyncState } from '../../../src/sync/sync-state.store.js';
import { type GmailEmulator, startGmailEmulator } from '../../emulators/google/gmail/gmail-emulator.js';
import { loadMboxIntoGmail } from '../../support/gmail-mailbox.js';
import { cleanupRedis, ENGINES, freshDb, redisUrl, type TestDb, uniquePrefix } from '../../support/test-env.js';

const MBOX = join(import.meta.dirname, '../../../examples/exports/mbox/All mail Including Spam and Trash.mbox');
const self = { emails: ['me@example.com'], phones: [], names: [] };

const ENV = ['REDIS_URL', 'KITH_QUEUE_PREFIX', 'GOOGLE_ACCESS_TOKEN', 'KITH_DATA_DIR'] as const;

/** Interactions and every person's counts: what "counts once" must leave unchanged. */
async function snapshot(t: TestDb) {
  const interactions = await t.db.all<{ source_type: string; external_id: string }>('SELECT source_type, external_id FROM interactions ORDER BY source_type, external_id');
  const people = await t.db.all('SELECT canonical_name, emails, email_count, message_count, first_interaction_at, last_interaction_at FROM people ORDER BY canonical_name, emails');
  return { interactions, people };
}

for (const engine of ENGINES) {
  describe(`the Gmail source through the API (${engine})`, () => {
    let t: TestDb;
    let em: GmailEmulator;
    let dir: string;
    let prefix: string;
    const saved: Record<string, string | undefined> = {};
    const gmail = (extra: Record<string, unknown> = {}) => ({ id: 'my-gmail', type: 'gmail', path: '', base_url: em.url, ...extra }) as unknown as ConfiguredSource;

    beforeAll(() => {
      for (const k of ENV) saved[k] = process.env[k];
    });
    afterAll(() => {
      for (const k of ENV) if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    });
    beforeEach(async () => {
      t = await freshDb(engine);
      em = await startGmailEmulator();
      dir = mkdtempSync(join(tmpdir(), 'kith-gmail-'));
      prefix = uniquePrefix();
      Object.assign(process.env, { REDIS_URL: redisUrl(), KITH_QUEUE_PREFIX: prefix, GOOGLE_ACCESS_TOKEN: em.token, KITH_DATA_DIR: dir });
    });
    afterEach(async () => {
      await em.close();
      await t.dispose();
      await cleanupRedis(prefix);
      rmSync(dir, { recursive: true, force: true });
    });

    it('counts a message once whether it came from the Takeout mbox or the API', async () => {
      const mbox = { id: 'takeout', type: 'mbox', path: MBOX } as ConfiguredSource;
      const imported = await collectSource(t.db, mbox, self);
      expect(imported.result.interactions.inserted).toBeGreaterThan(0);
      const before = await snapshot(t);
      expect(loadMboxIntoGmail(em, MBOX)).toBe(7);

      const api = await collectSource(t.db, gmail(), self);
      expect(api.result.interactions.inserted).toBe(0);
      expect(api.result.interactions.duplicates).toBe(imported.result.interactions.inserted);
      expect(await snapshot(t)).toEqual(before);
    });

    it('reads the history after the first run: new mail is added, deleted and spammed mail loses its interactions', async () => {
      const [a, b] = em.add(
        { headers: { From: 'Ada <ada@example.com>', To: 'me@example.com', Date: 'Mon, 2 Feb 2026 09:12:00 +0000', Subject: 'One', 'Message-ID': '<one@x>' } },
        { headers: { From: 'Bob <bob@example.com>', To: 'me@example.com', Date: 'Mon, 2 Feb 2026 10:12:00 +0000', Subject: 'Two', 'Message-ID': '<two@x>' } },
      );
      em.add({ headers: { From: 'Cy <cy@example.com>', To: 'me@example.com', Date: 'Mon, 2 Feb 2026 11:12:00 +0000', Subject: 'Three', 'Message-ID': '<three@x>' } });
      const first = await collectSource(t.db, gmail(), self);
      expect(first.result.interactions.inserted).toBe(3);
      expect(JSON.parse((await readSyncState(t.db, sourceStateKey('my-gmail')))!.cursor!)).toMatchObject({ mode: 'history' });

      em.remove(a!.id);
      em.relabel(b!.id, ['SPAM'], ['INBOX']);
      em.add({ headers: { From: 'Dee <dee@example.com>', To: 'me@example.com', Cc: 'eve@example.com', Date: 'Tue, 3 Feb 2026 09:00:00 +0000', Subject: 'Four', 'Message-ID': '<four@x>' } });
      const gets = em.stats.requests['messages.get']!;
      const second = await collectSource(t.db, gmail(), self);
      expect(em.stats.requests['history.list']).toBe(1);
      expect(em.stats.requests['messages.get']! - gets).toBe(2); // the relabelled and the new one
      expect(second.result.interactions).toMatchObject({ inserted: 2, removed: 2 });
      const ids = (await snapshot(t)).interactions.map((r) => r.external_id);
      expect(ids).toEqual(['four@x#email:dee@example.com', 'four@x#email:eve@example.com', 'three@x#email:cy@example.com'].sort());
      const ada = await t.db.get<{ email_count: number }>("SELECT email_count FROM people WHERE emails LIKE '%ada@example.com%'");
      expect(Number(ada!.email_count)).toBe(0);
    });

    it('a too-old historyId starts a full re-read for that source, noted in sync_state, adding no duplicate', async () => {
      loadMboxIntoGmail(em, MBOX);
      const first = await collectSource(t.db, gmail(), self);
      em.add({ headers: { From: 'Dee <dee@example.com>', To: 'me@example.com', Date: 'Tue, 3 Feb 2026 09:00:00 +0000', Subject: 'New', 'Message-ID': '<new@x>' } });
      em.expireHistory();
      const again = await collectSource(t.db, gmail(), self);
      expect(again.result.cursorInvalid).toMatch(/no longer keeps the history/);
      expect(again.result.interactions.inserted).toBe(1);
      expect(again.result.interactions.duplicates).toBe(first.result.interactions.inserted);
      expect((await readSyncState(t.db, sourceStateKey('my-gmail')))!.last_warning).toMatch(/cursor invalid.*404/);
    });

    it('a run stopped after two pages resumes from the last committed cursor and reads nothing twice', async () => {
      loadMboxIntoGmail(em, MBOX);
      const stop = new AbortController();
      let pages = 0;
      const progress = () => {
        if (++pages === 2) stop.abort();
      };
      await expect(collectSource(t.db, gmail({ page_size: 2 }), self, { signal: stop.signal, progress, batchSize: 1 })).rejects.toThrow(/aborted/);
      const committed = (await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM interactions'))!.n;
      expect(Number(committed)).toBeGreaterThan(0);
      // Two pages committed; the third was being read when the run stopped, and is not committed.
      const getsBefore = em.stats.requests['messages.get']!;

      const rest = await collectSource(t.db, gmail({ page_size: 2 }), self, { batchSize: 1 });
      expect(rest.result.resumedFrom).toMatch(/"pageToken":"4"/);
      expect(rest.result.interactions.duplicates).toBe(0);
      // The two committed pages (4 messages) are not read again: the 3 after them are.
      expect(em.stats.requests['messages.get']! - getsBefore).toBe(3);
      const fresh = await freshDb(engine);
      try {
        const all = await collectSource(fresh.db, gmail(), self);
        expect(Number(committed) + rest.result.interactions.inserted).toBe(all.result.interactions.inserted);
      } finally {
        await fresh.dispose();
      }
    });

    it('skips and counts a message without the headers the rules need, and goes on', async () => {
      em.add({ headers: { To: 'me@example.com', Subject: 'no from, no date' } });
      em.add({ headers: { From: 'Ada <ada@example.com>', To: 'me@example.com', Date: 'Mon, 2 Feb 2026 09:12:00 +0000', Subject: 'ok', 'Message-ID': '<ok@x>' } });
      const r = await collectSource(t.db, gmail(), self);
      expect(r.result.skipped).toBe(1);
      expect(r.result.skippedSample[0]!.reason).toMatch(/missing Date header/);
      expect(r.result.interactions.inserted).toBe(1);
    });

    it('waits out 429 Retry-After and a 5xx burst without failing, and never exceeds the quota it keeps', async () => {
      loadMboxIntoGmail(em, MBOX);
      em.setQuota(20);
      em.fault({ path: '/messages/', status: 429, headers: { 'retry-after': '1' }, body: { error: { code: 429, message: 'Too many', errors: [{ reason: 'rateLimitExceeded' }] } } });
      em.fault({ path: '/messages/', status: 503, times: 3 });
      const r = await collectSource(t.db, gmail({ quota_units_per_s: 20 }), self);
      expect(r.result.interactions.inserted).toBeGreaterThan(0);
      expect(em.stats.requests['messages.get']).toBe(7);
      expect(em.stats.rateLimited).toBe(0);
    });

    it('a token revoked mid-run fails the source saying to run kith auth google, keeping what was committed', async () => {
      loadMboxIntoGmail(em, MBOX);
      let pages = 0;
      const progress = () => {
        if (++pages === 1) em.revoke(em.token);
      };
      await expect(collectSource(t.db, gmail({ page_size: 2 }), self, { progress, batchSize: 1 })).rejects.toThrow(/refused.*kith auth google/);
      expect(Number((await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM interactions'))!.n)).toBeGreaterThan(0);
      expect(JSON.parse((await readSyncState(t.db, sourceStateKey('my-gmail')))!.cursor!)).toMatchObject({ mode: 'full', pageToken: '2' });
    });

    it('a refused token fails the source saying to run kith auth google; a missing scope names it', async () => {
      em.add({ headers: { From: 'Ada <ada@example.com>', To: 'me@example.com', Date: 'Mon, 2 Feb 2026 09:12:00 +0000', Subject: 'ok' } });
      em.revoke(em.token);
      const revoked = collectSource(t.db, gmail(), self);
      await expect(revoked).rejects.toBeInstanceOf(AuthError);
      await expect(revoked).rejects.toThrow(/kith auth google/);
      em.setToken(em.token, ['https://www.googleapis.com/auth/calendar.readonly']);
      await expect(collectSource(t.db, gmail(), self)).rejects.toThrow(/gmail\.readonly.*kith auth google/);
    });
  });
}
