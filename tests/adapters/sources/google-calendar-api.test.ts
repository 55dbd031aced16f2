import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, NotFoundError } from '../../../src/errors.js';
import { connectRedis } from '../../../src/redis/connection.js';
import { collectSource, sourceStateKey } from '../../../src/sync/collect-source.service.js';
import type { ReadProgress } from '../../../src/sources/source-event.js';
import type { ConfiguredSource } from '../../../src/sync/kith-config.js';
import { readSyncState } from '../../../src/sync/sync-state.store.js';
import { type CalendarEmulator, startCalendarEmulator } from '../../emulators/google/calendar/calendar-emulator.js';
import { loadExampleCalendar } from '../../support/calendar-fixture.js';
import { cleanupRedis, ENGINES, freshDb, redisUrl, type TestDb, uniquePrefix } from '../../support/test-env.js';

const ICS = join(import.meta.dirname, '../../../examples/exports/ics/me@example.com.ics');
const self = { emails: ['me@example.com'], phones: [], names: [] };
const TEAM = 'team@group.calendar.google.com';

const ENV = ['REDIS_URL', 'KITH_QUEUE_PREFIX', 'GOOGLE_ACCESS_TOKEN', 'KITH_DATA_DIR'] as const;

/** Interactions and every person's counts: what "counts once" must leave unchanged. */
async function snapshot(t: TestDb) {
  const interactions = await t.db.all<{ source_type: string; external_id: string }>('SELECT source_type, external_id FROM interactions ORDER BY source_type, external_id');
  const people = await t.db.all('SELECT canonical_name, emails, meeting_count, first_interaction_at, last_interaction_at FROM people ORDER BY canonical_name, emails');
  return { interactions, people };
}

const count = async (t: TestDb, sql: string) => Number((await t.db.get<{ n: number }>(sql))!.n);

for (const engine of ENGINES) {
  describe(`the Google Calendar source through the API (${engine})`, () => {
    let t: TestDb;
    let em: CalendarEmulator;
    let dir: string;
    let prefix: string;
    const saved: Record<string, string | undefined> = {};
    const calendar = (extra: Record<string, unknown> = {}) => ({ id: 'my-calendar', type: 'google-calendar', path: '', base_url: em.url, ...extra }) as unknown as ConfiguredSource;
    const ics = { id: 'export', type: 'ics', path: ICS } as ConfiguredSource;
    const cursorOf = async () => JSON.parse((await readSyncState(t.db, sourceStateKey('my-calendar')))!.cursor!) as { calendars: Record<string, { syncToken?: string; pageToken?: string }> };

    beforeAll(() => {
      for (const k of ENV) saved[k] = process.env[k];
    });
    afterAll(() => {
      for (const k of ENV) if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    });
    beforeEach(async () => {
      t = await freshDb(engine);
      em = await startCalendarEmulator();
      dir = mkdtempSync(join(tmpdir(), 'kith-calendar-'));
      prefix = uniquePrefix();
      Object.assign(process.env, { REDIS_URL: redisUrl(), KITH_QUEUE_PREFIX: prefix, GOOGLE_ACCESS_TOKEN: em.token, KITH_DATA_DIR: dir });
    });
    afterEach(async () => {
      await em.close();
      await t.dispose();
      await cleanupRedis(prefix);
      rmSync(dir, { recursive: true, force: true });
    });

    it('counts an event once whether it came from the .ics export or the API', async () => {
      const imported = await collectSource(t.db, ics, self);
      expect(imported.result.interactions.inserted).toBe(14);
      const before = await snapshot(t);
      loadExampleCalendar(em);

      const api = await collectSource(t.db, calendar(), self);
      expect(api.result.interactions.inserted).toBe(0);
      expect(api.result.interactions.duplicates).toBe(imported.result.interactions.inserted);
      expect(api.result.interactions.removed).toBe(0);
      expect(await snapshot(t)).toEqual(before);
    });

    it('counts an event once the other way round: the API first, then the export', async () => {
      loadExampleCalendar(em);
      const api = await collectSource(t.db, calendar(), self);
      expect(api.result.interactions.inserted).toBe(14);
      const before = await snapshot(t);
      const imported = await collectSource(t.db, ics, self);
      expect(imported.result.interactions.inserted).toBe(0);
      expect(imported.result.interactions.duplicates).toBe(14);
      expect(await snapshot(t)).toEqual(before);
    });

    it('reads each calendar by its own sync token: new events add, cancelled ones and declines remove, counts follow', async () => {
      loadExampleCalendar(em);
      em.addCalendar(TEAM);
      em.add(TEAM, { id: 'standup1', summary: 'Standup', start: { dateTime: '2026-03-02T09:00:00Z' }, organizer: { email: 'me@example.com', self: true }, attendees: [{ email: 'me@example.com', self: true }, { email: 'kim@example.com', displayName: 'Kim' }] });
      const seen: ReadProgress[] = [];
      const first = await collectSource(t.db, calendar({ calendars: ['primary', TEAM] }), self, { progress: (p) => seen.push(p) });
      expect(first.result.interactions.inserted).toBe(15);
      expect(seen).toEqual([
        { stage: 'calendar primary', done: 9 },
        { stage: `calendar ${TEAM}`, done: 10 },
      ]);
      const c = await cursorOf();
      expect(Object.keys(c.calendars)).toEqual(['primary', TEAM]);
      expect(c.calendars.primary!.syncToken).toBeTruthy();
      expect(c.calendars[TEAM]!.syncToken).toBeTruthy();
      const bobBefore = await count(t, "SELECT meeting_count AS n FROM people WHERE emails LIKE '%bob@example.com%'");
      expect(bobBefore).toBe(3);

      em.cancel('primary', 'enginesync2026_20260223T150000Z');
      em.update('primary', 'berlinpartners2026', {
        attendees: [
          { email: 'tom.becker@example.de', displayName: 'Tom Becker', organizer: true, responseStatus: 'accepted' },
          { email: 'lena.svensson@example.se', displayName: 'Lena Svensson', responseStatus: 'declined' },
          { email: 'me@example.com', self: true, responseStatus: 'accepted' },
        ],
      });
      em.add(TEAM, { id: 'retro1', summary: 'Retro', start: { dateTime: '2026-03-03T09:00:00Z' }, organizer: { email: 'me@example.com', self: true }, attendees: [{ email: 'kim@example.com' }, { email: 'lee@example.com' }] });
      const calls = em.stats.calls.length;
      const second = await collectSource(t.db, calendar({ calendars: ['primary', TEAM] }), self);
      const made = em.stats.calls.slice(calls);
      expect(made.map((x) => [x.calendarId, x.syncToken])).toEqual([
        ['me@example.com', true],
        [TEAM, true],
      ]);
      expect(made.map((x) => x.items)).toEqual([2, 1]);
      // The cancelled instance (Ada, Bob, Zoë) and Lena's declined meeting go; Kim and Lee's retro comes.
      expect(second.result.interactions).toMatchObject({ inserted: 2, removed: 3, replaced: 1 });
      expect(await count(t, "SELECT meeting_count AS n FROM people WHERE emails LIKE '%bob@example.com%'")).toBe(2);
      expect(await count(t, "SELECT COUNT(*) AS n FROM interactions WHERE external_id LIKE 'engine-sync-2026@google.com/20260223T150000Z#%'")).toBe(0);
      expect(await count(t, "SELECT COUNT(*) AS n FROM interactions WHERE external_id = 'berlin-partners-2026@google.com#email:lena.svensson@example.se'")).toBe(0);
      expect(await count(t, "SELECT COUNT(*) AS n FROM interactions WHERE external_id = 'berlin-partners-2026@google.com#email:tom.becker@example.de'")).toBe(1);

      // Nothing changed: one request per calendar, nothing read.
      const third = await collectSource(t.db, calendar({ calendars: ['primary', TEAM] }), self);
      expect(third.result.interactions).toMatchObject({ inserted: 0, removed: 0, replaced: 0 });
      expect(em.stats.calls.slice(-2).map((x) => x.items)).toEqual([0, 0]);
    });

    it('a cancelled instance the export gave and the API never did is removed by the key it still carries', async () => {
      await collectSource(t.db, ics, self);
      loadExampleCalendar(em);
      em.cancel('primary', 'enginesync2026_20260209T150000Z', { details: true });
      const r = await collectSource(t.db, calendar(), self);
      expect(r.result.interactions.removed).toBe(3);
      expect(await count(t, "SELECT COUNT(*) AS n FROM interactions WHERE external_id LIKE 'engine-sync-2026@google.com/20260209T150000Z#%'")).toBe(0);
    });

    it('an expired sync token (410 fullSyncRequired) reads the source again, noted in sync_state, adding no duplicate', async () => {
      loadExampleCalendar(em);
      const first = await collectSource(t.db, calendar(), self);
      em.add('primary', { id: 'newone', summary: 'New', start: { dateTime: '2026-03-05T10:00:00Z' }, attendees: [{ email: 'new@example.com' }] });
      em.expireSyncTokens();
      const again = await collectSource(t.db, calendar(), self);
      expect(again.result.cursorInvalid).toMatch(/no longer accepts the sync token of primary \(410 fullSyncRequired\)/);
      expect(again.result.interactions.inserted).toBe(1);
      expect(again.result.interactions.duplicates).toBe(first.result.interactions.inserted);
      expect((await readSyncState(t.db, sourceStateKey('my-calendar')))!.last_warning).toMatch(/cursor invalid.*410 fullSyncRequired/);
      expect((await cursorOf()).calendars.primary!.syncToken).toBeTruthy();
      expect(await count(t, 'SELECT COUNT(*) AS n FROM interactions')).toBe(15);
    });

    it('a run stopped after two pages resumes from the last committed cursor and reads nothing twice', async () => {
      loadExampleCalendar(em);
      const stop = new AbortController();
      let pages = 0;
      const progress = () => {
        if (++pages === 2) stop.abort();
      };
      await expect(collectSource(t.db, calendar({ page_size: 2 }), self, { signal: stop.signal, progress, batchSize: 1 })).rejects.toThrow(/aborted/);
      const committed = await count(t, 'SELECT COUNT(*) AS n FROM interactions');
      expect(committed).toBeGreaterThan(0);
      const calls = em.stats.calls.length;

      const rest = await collectSource(t.db, calendar({ page_size: 2 }), self, { batchSize: 1 });
      expect(rest.result.resumedFrom).toMatch(/"pageToken"/);
      expect(rest.result.interactions.duplicates).toBe(0);
      // The two committed pages are not asked for again: the first request goes on from the third page.
      expect(em.stats.calls[calls]).toMatchObject({ pageToken: true, syncToken: false });
      expect(committed + rest.result.interactions.inserted).toBe(14);
      expect(await count(t, 'SELECT COUNT(*) AS n FROM interactions')).toBe(14);
      expect((await cursorOf()).calendars.primary).toEqual({ syncToken: expect.any(String) });
    });

    it('skips and counts an event without a start, and goes on', async () => {
      loadExampleCalendar(em);
      em.add('primary', { id: 'nostart', summary: 'broken', start: {} as never, attendees: [{ email: 'x@example.com' }] });
      const r = await collectSource(t.db, calendar(), self);
      expect(r.result.skipped).toBe(1);
      expect(r.result.skippedSample[0]).toMatchObject({ file: 'google-calendar event primary/nostart', reason: 'event without a readable start' });
      expect(r.result.interactions.inserted).toBe(14);
    });

    it('waits out 429 Retry-After, 403 rateLimitExceeded and a 5xx burst without failing, spending the shared per-user budget', async () => {
      loadExampleCalendar(em);
      em.setLimit(10);
      em.fault({ path: '/events', status: 429, headers: { 'retry-after': '1' }, body: { error: { code: 429, message: 'Too many', errors: [{ domain: 'usageLimits', reason: 'rateLimitExceeded' }] } } });
      em.fault({ path: '/events', status: 403, body: { error: { code: 403, message: 'Rate Limit Exceeded', errors: [{ domain: 'usageLimits', reason: 'rateLimitExceeded' }] } } });
      // Five 5xx answers are all the attempts a call has (maxRetries 5): the two rate-limited answers before them spend none.
      em.fault({ path: '/events', status: 503, times: 5 });
      const r = await collectSource(t.db, calendar({ page_size: 5, requests_per_minute: 10 }), self);
      expect(r.result.interactions.inserted).toBe(14);
      expect(em.stats.rateLimited).toBe(0);
      expect(em.stats.calls.length).toBe(2);
      // Every request (the waited and retried ones too) held a slot of the account's budget in Redis.
      const redis = connectRedis(redisUrl(), { maxRetriesPerRequest: 1 });
      try {
        const keys = (await redis.keys(`${prefix}:google:calendar:*`)).filter((k) => !k.endsWith(':pause'));
        expect(keys).toHaveLength(1);
        expect(keys[0]).toContain('source:my-calendar');
        expect(await redis.zcard(keys[0]!)).toBe(2 + 7);
      } finally {
        redis.disconnect();
      }
    });

    it('a token revoked mid-run fails the source saying to run kith auth google, keeping what was committed', async () => {
      loadExampleCalendar(em);
      let pages = 0;
      const progress = () => {
        if (++pages === 1) em.revoke(em.token);
      };
      await expect(collectSource(t.db, calendar({ page_size: 2 }), self, { progress, batchSize: 1 })).rejects.toThrow(/refused.*kith auth google/);
      expect(await count(t, 'SELECT COUNT(*) AS n FROM interactions')).toBeGreaterThan(0);
      expect((await cursorOf()).calendars.primary!.pageToken).toBeTruthy();
    });

    it('a refused token, a missing scope and an unknown calendar fail the source saying what to do', async () => {
      loadExampleCalendar(em);
      em.revoke(em.token);
      const revoked = collectSource(t.db, calendar(), self);
      await expect(revoked).rejects.toBeInstanceOf(AuthError);
      await expect(revoked).rejects.toThrow(/kith auth google/);
      em.setToken(em.token, ['https://www.googleapis.com/auth/gmail.readonly']);
      await expect(collectSource(t.db, calendar(), self)).rejects.toThrow(/calendar\.readonly.*kith auth google/);
      em.setToken(em.token, ['https://www.googleapis.com/auth/calendar.readonly']);
      const unknown = collectSource(t.db, calendar({ calendars: ['nobody@group.calendar.google.com'] }), self);
      await expect(unknown).rejects.toBeInstanceOf(NotFoundError);
      await expect(unknown).rejects.toThrow(/nobody@group\.calendar\.google\.com.*calendars/);
    });
  });
}
