import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hubHttpOptions } from '../../../src/app/hub-http.js';
import { buildHttpServer, type HttpServer } from '../../../src/http/server.js';
import { notionSignature } from '../../../src/producers/notion-webhook.producer.js';
import { allQueues } from '../../../src/queues/queue-registry.js';
import { connectRedis } from '../../../src/redis/connection.js';
import { TABLES_QUEUE } from '../../../src/tables/jobs/table-queues.js';
import { latestWebhookToken } from '../../../src/tables/stores/table-conflicts.store.js';
import { createSupabaseClient } from '../../../src/systems/supabase/supabase-client.js';
import { SupabaseTableRows } from '../../../src/systems/supabase/table-rows.js';
import { startSupabaseEmulator } from '../../emulators/supabase/supabase-emulator.js';
import { SUPABASE_SECRET } from '../../support/hub/hub-kit.js';
import { TABLES_SCHEMA_SQL } from '../../support/tables/table-kit.js';
import { cleanupRedis, ENGINES, freshDb, postgresUrl, redisUrl, type TestDb, testLog, uniquePrefix } from '../../support/test-env.js';

const TOKEN = 'secret_notion_verification_token';
const ADMIN = { KITH_ADMIN_USER: 'admin', KITH_ADMIN_PASSWORD: 'a-long-admin-password' };
const CONFIG = `tables:
  - { name: meetings, mode: two-way, notion: { data_source: ds-m }, supabase: { table: meetings }, fields: { title: Title } }
  - { name: books, mode: one-way, notion: { data_source: ds-b }, supabase: { table: books }, fields: { title: Name } }
`;

describe.each(ENGINES)('the table sync over HTTP (%s)', (engine) => {
  let db: TestDb;
  let http: HttpServer;
  let base: string;
  let prefix: string;
  let conn: Redis;
  let queue: Queue;
  let dir: string;

  beforeAll(async () => {
    prefix = uniquePrefix();
    db = await freshDb(engine);
    dir = mkdtempSync(join(tmpdir(), 'kith-tables-http-'));
    writeFileSync(join(dir, 'kith.config.yaml'), CONFIG);
    const env = { KITH_CONFIG: join(dir, 'kith.config.yaml'), NOTION_WEBHOOK_TOKEN: TOKEN, SUPABASE_WEBHOOK_SECRET: SUPABASE_SECRET, ...ADMIN };
    http = await buildHttpServer({ redisUrl: redisUrl(), prefix, db: db.db, queues: allQueues(), log: testLog, ...hubHttpOptions(db.db, env, testLog) });
    base = await http.app.listen({ host: '127.0.0.1', port: 0 });
    conn = connectRedis(redisUrl(), { maxRetriesPerRequest: null });
    queue = new Queue(TABLES_QUEUE, { connection: conn, prefix });
  });
  afterAll(async () => {
    await queue.close();
    conn.disconnect();
    await http.close();
    await db.dispose();
    await cleanupRedis(prefix);
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await queue.obliterate({ force: true });
  });

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    request(`${base}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } }).then(async (r) => ({ status: r.statusCode, body: (await r.body.json()) as Record<string, unknown> }));
  const jobs = async () => queue.getJobs(['waiting', 'delayed', 'prioritized', 'waiting-children']);
  const event = (id: string, pageId: string) => JSON.stringify({ id, type: 'page.properties_updated', timestamp: '2026-01-01T10:00:00.000Z', entity: { id: pageId, type: 'page' }, data: { parent: { id: 'ds-m', type: 'data_source' } } });

  it('answers the verification request and keeps its token for `kith tables webhook-token`', async () => {
    const r = await post('/webhooks/notion', JSON.stringify({ verification_token: 'secret_fresh_token' }));
    expect(r.status).toBe(200);
    expect((await latestWebhookToken(db.db))?.token).toBe('secret_fresh_token');
    expect(await jobs()).toHaveLength(0);
  });

  it('queues one single-record job per signed page event, once per event id', async () => {
    const body = event('evt-1', 'page-1');
    const r = await post('/webhooks/notion', body, { 'x-notion-signature': notionSignature(body, TOKEN) });
    expect(r.status).toBe(202);
    expect((await post('/webhooks/notion', body, { 'x-notion-signature': notionSignature(body, TOKEN) })).status).toBe(202);
    const list = await jobs();
    expect(list.map((j) => j.data)).toEqual([{ kind: 'page', pageId: 'page-1' }]);
  });

  it('refuses a bad or missing signature (401), a malformed body (400) and an oversized one (413), enqueuing nothing', async () => {
    const body = event('evt-2', 'page-2');
    expect((await post('/webhooks/notion', body)).status).toBe(401);
    expect((await post('/webhooks/notion', body, { 'x-notion-signature': notionSignature(body, 'another-token') })).status).toBe(401);
    expect((await post('/webhooks/notion', body, { 'x-notion-signature': 'sha256=zz' })).status).toBe(401);
    const bad = '{"id": "evt-3"';
    expect((await post('/webhooks/notion', bad, { 'x-notion-signature': notionSignature(bad, TOKEN) })).status).toBe(400);
    const noEntity = JSON.stringify({ id: 'evt-4', type: 'page.created' });
    const r = await post('/webhooks/notion', noEntity, { 'x-notion-signature': notionSignature(noEntity, TOKEN) });
    expect(r).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^entity/) } });
    const huge = JSON.stringify({ id: 'evt-5', type: 'page.created', entity: { id: 'p', type: 'page' }, pad: 'x'.repeat(1024 * 1024) });
    expect((await post('/webhooks/notion', huge, { 'x-notion-signature': notionSignature(huge, TOKEN) })).status).toBe(413);
    expect(await jobs()).toHaveLength(0);
  });

  it('queues a row job for a Supabase Database Webhook of a mapped table', async () => {
    const payload = JSON.stringify({ type: 'UPDATE', table: 'meetings', schema: 'public', record: { id: 'row-1', title: 'x' }, old_record: { id: 'row-1', title: 'y' } });
    const r = await post('/webhooks/supabase', payload, { authorization: `Bearer ${SUPABASE_SECRET}` });
    expect(r.status).toBe(202);
    expect((await jobs()).map((j) => j.data)).toEqual([{ kind: 'row', supabaseTable: 'meetings', rowId: 'row-1' }]);
  });

  it("answers Kith's own row writes coming back by Database Webhook with no job, and queues a job for each edit made in Supabase", async () => {
    const supabase = await startSupabaseEmulator({ postgresUrl: postgresUrl(), schemaSql: TABLES_SCHEMA_SQL });
    try {
      supabase.setWebhook(`${base}/webhooks/supabase`, SUPABASE_SECRET);
      const rows = new SupabaseTableRows(createSupabaseClient({ url: supabase.url, key: supabase.key }), 'meetings');
      // Kith's writes: a row created for a page, then updated from it.
      const row = await rows.upsertForPage('page-1', { title: 'Kickoff', summary: 'from notion' }, '2026-01-01T10:00:00.000Z');
      await rows.update(row.id, { summary: 'from notion again' }, { pageEditedAt: '2026-01-01T10:01:00.000Z' });
      // A person's edit in Supabase, then Kith's write again.
      await supabase.sql("UPDATE meetings SET summary = 'edited in supabase'");
      await rows.update(row.id, { summary: 'from notion, later' });
      await supabase.flushWebhooks();
      expect(supabase.webhookDeliveries.map((d) => [d.type, d.status])).toEqual([
        ['INSERT', 202],
        ['UPDATE', 202],
        ['UPDATE', 202],
        ['UPDATE', 202],
      ]);
      expect((await jobs()).map((j) => j.data)).toEqual([{ kind: 'row', supabaseTable: 'meetings', rowId: row.id }]);
    } finally {
      await supabase.stop();
    }
  });

  it('POST /api/sync/<name> and /api/sync/all need the admin credentials and queue runs in order', async () => {
    expect((await post('/api/sync/meetings', '')).status).toBe(401);
    const auth = { authorization: `Basic ${Buffer.from(`${ADMIN.KITH_ADMIN_USER}:${ADMIN.KITH_ADMIN_PASSWORD}`).toString('base64')}` };
    expect((await post('/api/sync/nope', '', auth)).status).toBe(404);
    expect((await post('/api/sync/meetings?hours=-1', '', auth)).status).toBe(400);
    const one = await post('/api/sync/meetings?full=true&hours=2', '', auth);
    expect(one).toMatchObject({ status: 202, body: { order: ['meetings'] } });
    const all = await post('/api/sync/all', '', auth);
    expect(all).toMatchObject({ status: 202, body: { order: ['meetings', 'books'] } });
    const data = (await jobs()).map((j) => j.data).sort((a, b) => (a.tables.length < b.tables.length ? -1 : 1));
    expect(data).toEqual([
      { kind: 'run', tables: ['meetings'], full: true, force: false, hours: 2 },
      { kind: 'run', tables: ['meetings', 'books'], full: false, force: false },
    ]);
  });
});
