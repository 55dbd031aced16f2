import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthError } from '../../../src/errors.js';
import { collectSource, sourceStateKey } from '../../../src/sync/collect-source.service.js';
import type { ConfiguredSource } from '../../../src/sync/kith-config.js';
import { readSyncState } from '../../../src/sync/sync-state.store.js';
import { type SlackEmulator, startSlackEmulator } from '../../emulators/slack/slack-emulator.js';
import { loadExportIntoSlack } from '../../support/slack-workspace.js';
import { cleanupRedis, ENGINES, freshDb, redisUrl, type TestDb, uniquePrefix } from '../../support/test-env.js';

const EXPORT = join(import.meta.dirname, '../../../examples/exports/slack-export');
const self = { emails: ['me@example.com'], phones: [], names: [] };
const ENV = ['REDIS_URL', 'KITH_QUEUE_PREFIX', 'SLACK_TOKEN', 'KITH_DATA_DIR'] as const;
/** Tiers counted over a short window, so a test sees several windows go by. */
const WINDOW_MS = 400;

/** Interactions, people with their counts, and the people entities: what "counts once" must leave unchanged. */
async function snapshot(t: TestDb) {
  const interactions = await t.db.all<{ source_type: string; external_id: string }>('SELECT source_type, external_id, person_id FROM interactions ORDER BY source_type, external_id, person_id');
  const people = await t.db.all('SELECT id, canonical_name, emails, message_count, first_interaction_at, last_interaction_at FROM people ORDER BY canonical_name, emails');
  const entities = await t.db.all('SELECT source, external_id, person_id FROM source_entities ORDER BY source, external_id');
  return { interactions, people, entities };
}

const count = async (t: TestDb) => Number((await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM interactions'))!.n);

for (const engine of ENGINES) {
  describe(`the Slack source through the Web API (${engine})`, () => {
    let t: TestDb;
    let em: SlackEmulator;
    let dir: string;
    let prefix: string;
    const saved: Record<string, string | undefined> = {};
    const slack = (extra: Record<string, unknown> = {}) => ({ id: 'my-slack', type: 'slack', path: '', base_url: em.url, rate_window_ms: WINDOW_MS, ...extra }) as unknown as ConfiguredSource;

    beforeAll(() => {
      for (const k of ENV) saved[k] = process.env[k];
    });
    afterAll(() => {
      for (const k of ENV) if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    });
    beforeEach(async () => {
      t = await freshDb(engine);
      em = await startSlackEmulator({ windowMs: WINDOW_MS, selfUser: 'U0SAM' });
      dir = mkdtempSync(join(tmpdir(), 'kith-slack-'));
      prefix = uniquePrefix();
      Object.assign(process.env, { REDIS_URL: redisUrl(), KITH_QUEUE_PREFIX: prefix, SLACK_TOKEN: em.token, KITH_DATA_DIR: dir });
    });
    afterEach(async () => {
      await em.close();
      await t.dispose();
      await cleanupRedis(prefix);
      rmSync(dir, { recursive: true, force: true });
    });

    it('counts a message once whether it came from the export or the API', async () => {
      const exported = { id: 'export', type: 'slack-export', path: EXPORT } as ConfiguredSource;
      const imported = await collectSource(t.db, exported, self);
      expect(imported.result.interactions.inserted).toBeGreaterThan(0);
      const before = await snapshot(t);
      expect(loadExportIntoSlack(em, EXPORT)).toBe(9);

      const api = await collectSource(t.db, slack(), self);
      expect(api.result.interactions.inserted).toBe(0);
      expect(api.result.interactions.duplicates).toBe(imported.result.interactions.inserted);
      expect(await snapshot(t)).toEqual(before);
      // The thread's replies came through conversations.replies, the bot's message not at all.
      expect(em.stats.requests['conversations.replies']).toBe(1);
    });

    it('and the other way round: the export adds nothing the API already gave', async () => {
      loadExportIntoSlack(em, EXPORT);
      const api = await collectSource(t.db, slack(), self);
      expect(api.result.interactions.inserted).toBeGreaterThan(0);
      const before = await snapshot(t);
      const exported = await collectSource(t.db, { id: 'export', type: 'slack-export', path: EXPORT } as ConfiguredSource, self);
      expect(exported.result.interactions).toMatchObject({ inserted: 0, duplicates: api.result.interactions.inserted });
      expect(await snapshot(t)).toEqual(before);
    });

    it('reads each conversation from its stored oldest on the next run: only new messages, and new replies in young threads', async () => {
      loadExportIntoSlack(em, EXPORT);
      const seen: unknown[] = [];
      const first = await collectSource(t.db, slack({ thread_days: 3650 }), self, { progress: (p) => seen.push(p) });
      expect(first.result.interactions.inserted).toBeGreaterThan(0);
      expect(seen).toEqual([
        { stage: 'conversations (2 messages)', done: 1, total: 3 },
        { stage: 'conversations (5 messages)', done: 2, total: 3 },
        { stage: 'conversations (7 messages)', done: 3, total: 3 },
      ]);
      const cursor = JSON.parse((await readSyncState(t.db, sourceStateKey('my-slack')))!.cursor!) as { conversations: Record<string, { oldest?: string; threads?: Record<string, string> }> };
      expect(cursor.conversations.C0GENERAL!.oldest).toBe('1770023400.000300');
      expect(cursor.conversations.C0ENGINE!.threads).toEqual({ '1770112800.000100': '1770114000.000300' });

      em.post('C0GENERAL', { ts: '1770300000.000100', user: 'U0ADA', text: 'New topic' }, { ts: '1770300060.000200', user: 'U0ZOE', text: 'reply', thread_ts: '1770300000.000100' });
      em.post('D0SAMADA', { ts: '1770300100.000100', user: 'U0SAM', text: 'Lunch?' });
      // A reply to engine's thread, whose parent is older than engine's stored point.
      em.post('C0ENGINE', { ts: '1770300200.000100', user: 'U0BOB', text: 'Shipped', thread_ts: '1770112800.000100' });
      const before = await count(t);
      const second = await collectSource(t.db, slack({ thread_days: 3650 }), self);
      // One interaction with the sender of each message from another member; self's DM one with Ada.
      expect(second.result.interactions).toMatchObject({ inserted: 4, duplicates: 0 });
      expect(await count(t)).toBe(before + 4);
      const ids = (await t.db.all<{ external_id: string }>("SELECT DISTINCT external_id FROM interactions WHERE external_id LIKE '%:17703%' OR external_id LIKE '%/17703%'")).map((r) => r.external_id.split('#')[0]);
      expect(new Set(ids)).toEqual(new Set(['C0GENERAL:1770300000.000100', 'C0GENERAL:1770300000.000100/1770300060.000200', 'D0SAMADA:1770300100.000100', 'C0ENGINE:1770112800.000100/1770300200.000100']));

      // Threads older than thread_days are no longer asked for.
      const replies = em.stats.requests['conversations.replies']!;
      await collectSource(t.db, slack({ thread_days: 1 }), self);
      expect(em.stats.requests['conversations.replies']).toBe(replies);
      const last = JSON.parse((await readSyncState(t.db, sourceStateKey('my-slack')))!.cursor!) as { conversations: Record<string, { threads?: unknown }> };
      expect(Object.values(last.conversations).every((c) => c.threads === undefined)).toBe(true);
    });

    it('a run killed mid-conversation resumes from the last committed page and reads nothing twice', async () => {
      loadExportIntoSlack(em, EXPORT);
      const stop = new AbortController();
      let histories = 0;
      em.hooks.onRequest = (method) => {
        if (method === 'conversations.history' && ++histories === 4) stop.abort();
      };
      await expect(collectSource(t.db, slack({ page_size: 1 }), self, { signal: stop.signal, batchSize: 1 })).rejects.toThrow(/aborted/);
      em.hooks.onRequest = undefined;
      const committed = await count(t);
      expect(committed).toBeGreaterThan(0);
      const paging = JSON.parse((await readSyncState(t.db, sourceStateKey('my-slack')))!.cursor!) as { paging?: { id: string } };
      expect(paging.paging?.id).toBe('C0GENERAL');

      const historyBefore = em.stats.requests['conversations.history']!;
      const rest = await collectSource(t.db, slack({ page_size: 1 }), self, { batchSize: 1 });
      expect(rest.result.resumedFrom).toMatch(/"paging"/);
      expect(rest.result.interactions.duplicates).toBe(0);
      // general's first page is not asked for again: its last two pages, engine once from its oldest (nothing new), the DM's two.
      expect(em.stats.requests['conversations.history']! - historyBefore).toBe(2 + 1 + 2);
      const fresh = await freshDb(engine);
      try {
        await cleanupRedis(prefix);
        const all = await collectSource(fresh.db, slack(), self);
        expect(committed + rest.result.interactions.inserted).toBe(all.result.interactions.inserted);
      } finally {
        await fresh.dispose();
      }
    });

    it('an expired page cursor re-reads that conversation alone, with a warning in sync_state, adding no duplicate', async () => {
      loadExportIntoSlack(em, EXPORT);
      const stop = new AbortController();
      let histories = 0;
      em.hooks.onRequest = (method) => {
        if (method === 'conversations.history' && ++histories === 4) stop.abort();
      };
      await expect(collectSource(t.db, slack({ page_size: 1 }), self, { signal: stop.signal, batchSize: 1 })).rejects.toThrow(/aborted/);
      em.hooks.onRequest = undefined;
      const committed = await count(t);
      em.expireCursors();

      const rest = await collectSource(t.db, slack({ page_size: 1 }), self, { batchSize: 1 });
      expect(rest.result.cursorInvalid).toBeUndefined();
      expect(rest.result.interactions.duplicates).toBeGreaterThan(0);
      const state = (await readSyncState(t.db, sourceStateKey('my-slack')))!;
      expect(state.last_warning).toMatch(/C0GENERAL.*invalid_cursor.*again from its start/);
      const fresh = await freshDb(engine);
      try {
        await cleanupRedis(prefix);
        const all = await collectSource(fresh.db, slack(), self);
        expect(committed + rest.result.interactions.inserted).toBe(all.result.interactions.inserted);
        expect(await count(t)).toBe(await count(fresh));
      } finally {
        await fresh.dispose();
      }
    });

    it('lists members and conversations again from the first page when a list cursor expires midway', async () => {
      await em.close();
      em = await startSlackEmulator({ windowMs: WINDOW_MS, selfUser: 'U0SAM', pageCap: 2 });
      loadExportIntoSlack(em, EXPORT);
      // The second page of each list is asked for with a cursor that has just expired.
      em.hooks.onRequest = (method) => {
        if ((method === 'users.list' || method === 'conversations.list') && em.stats.requests[method] === 2) em.expireCursors();
      };
      const r = await collectSource(t.db, slack(), self);
      // The first page of members came twice (4 members + 2 again); they are still three people: Ada, Bob, Zoë.
      expect(r.result.contacts).toBe(6);
      expect(Number((await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM people'))!.n)).toBe(3);
      expect(em.stats.requests['users.list']).toBe(2 + 3);
      expect(r.result.interactions.inserted).toBe(10);
    });

    it('skips a conversation that disappeared, with a warning, and reads the others', async () => {
      loadExportIntoSlack(em, EXPORT);
      em.fault({ path: '/api/conversations.history', status: 200, body: { ok: false, error: 'channel_not_found' } });
      const r = await collectSource(t.db, slack(), self);
      expect((await readSyncState(t.db, sourceStateKey('my-slack')))!.last_warning).toMatch(/C0ENGINE.*skipped.*channel_not_found/);
      const convs = (await t.db.all<{ conversation_key: string }>('SELECT DISTINCT conversation_key FROM interactions ORDER BY conversation_key')).map((x) => x.conversation_key);
      expect(convs).toEqual(['C0GENERAL', 'D0SAMADA']);
      expect(r.result.interactions.inserted).toBeGreaterThan(0);
      // The next run, with the channel back in reach, reads it from its start.
      const again = await collectSource(t.db, slack(), self);
      expect(again.result.interactions.inserted).toBeGreaterThan(0);
      expect((await t.db.all('SELECT DISTINCT conversation_key FROM interactions')).length).toBe(3);
    });

    it('waits out 429 Retry-After and a 5xx burst without failing', async () => {
      loadExportIntoSlack(em, EXPORT);
      em.fault({ path: '/api/conversations.history', status: 429, headers: { 'retry-after': '1' }, body: { ok: false, error: 'ratelimited' } });
      em.fault({ path: '/api/users.list', status: 503, times: 2 });
      const r = await collectSource(t.db, slack(), self);
      expect(r.result.interactions.inserted).toBe(10);
      expect(em.stats.requests['users.list']).toBe(1); // the faulted answers came before the count
    });

    it('under the non-Marketplace tier asks for at most 15 messages a request, one request a window, and is never rate limited', async () => {
      loadExportIntoSlack(em, EXPORT);
      em.setTier('non-marketplace');
      const many = Array.from({ length: 40 }, (_, i) => ({ ts: `17704${String(i).padStart(5, '0')}.000100`, user: i % 2 ? 'U0ADA' : 'U0BOB', text: `m${i}` }));
      em.post('C0GENERAL', ...many);
      const seen: unknown[] = [];
      const r = await collectSource(t.db, slack({ tier: 'non-marketplace', page_size: 500 }), self, { progress: (p) => seen.push(p) });
      expect(em.stats.rateLimited).toBe(0);
      // A long conversation shows its pages as they come: engine's 2 messages, then general's first 15.
      expect(seen).toContainEqual({ stage: 'conversations (17 messages)', done: 1, total: 3 });
      expect(Math.max(...em.stats.historyMessages)).toBe(15);
      expect(em.stats.maxInWindow['conversations.history']).toBe(1);
      expect(r.result.interactions.inserted).toBe(10 + 40);
    });

    it('a revoked token fails the source saying to run kith auth slack; a missing scope names it', async () => {
      loadExportIntoSlack(em, EXPORT);
      em.revoke(em.token);
      const revoked = collectSource(t.db, slack(), self);
      await expect(revoked).rejects.toBeInstanceOf(AuthError);
      await expect(revoked).rejects.toThrow(/token_revoked.*kith auth slack/);
      em.setToken('xoxp-narrow', ['users:read', 'users:read.email', 'channels:read', 'groups:read', 'mpim:read', 'im:read', 'im:history']);
      process.env.SLACK_TOKEN = 'xoxp-narrow';
      await expect(collectSource(t.db, slack(), self)).rejects.toThrow(/channels:history.*kith auth slack/);
    });
  });
}
