import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { connectRedis } from '../../../src/redis/connection.js';
import { freePort } from '../../../src/redis/free-port.js';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildHttpServer, type HttpServer } from '../../../src/http/server.js';
import { hubHttpOptions } from '../../../src/app/hub-http.js';
import { recordLink } from '../../../src/hub/stores/contact-links.store.js';
import { expectEchoes } from '../../../src/hub/stores/echo-intents.store.js';
import { linkHashFor, wholeView } from '../../../src/hub/domain/link-hash.js';
import { allQueues } from '../../../src/queues/queue-registry.js';
import { ENQUEUE_TIMEOUT_MS } from '../../../src/producers/inbound.producer.js';
import { toSupabaseRow } from '../../../src/systems/supabase/contact-row.mapper.js';
import { toTwentyPerson, twentyView } from '../../../src/systems/twenty/person.mapper.js';
import { contact } from '../../support/contacts/contact-fixtures.js';
import { cleanupRedis, freshDb, redisUrl, type TestDb, testLog, uniquePrefix } from '../../support/test-env.js';
import { SUPABASE_SECRET, TWENTY_SECRET } from '../../support/hub/hub-kit.js';

/** The webhook producers alone: every bad case answers its status and enqueues/writes nothing. */
describe('webhook producers', () => {
  let db: TestDb;
  let http: HttpServer;
  let base: string;
  let prefix: string;
  let conn: Redis;
  let inbound: Queue;

  beforeAll(async () => {
    prefix = uniquePrefix();
    db = await freshDb('sqlite');
    const env = { TWENTY_WEBHOOK_SECRET: TWENTY_SECRET, SUPABASE_WEBHOOK_SECRET: SUPABASE_SECRET };
    http = await buildHttpServer({ redisUrl: redisUrl(), prefix, db: db.db, queues: allQueues(), log: testLog, ...hubHttpOptions(db.db, env) });
    base = await http.app.listen({ host: '127.0.0.1', port: 0 });
    conn = connectRedis(redisUrl(), { maxRetriesPerRequest: null });
    inbound = new Queue('contacts-inbound', { connection: conn, prefix });
  });
  afterAll(async () => {
    await inbound.close();
    conn.disconnect();
    await http.close();
    await db.dispose();
    await cleanupRedis(prefix);
  });
  beforeEach(async () => {
    await inbound.obliterate({ force: true });
  });

  const person = (over: Record<string, unknown> = {}) => ({
    targetUrl: `${base}/webhooks/twenty`,
    eventName: 'person.updated',
    objectMetadata: { id: randomUUID(), nameSingular: 'person' },
    workspaceId: randomUUID(),
    webhookId: randomUUID(),
    eventDate: new Date().toISOString(),
    record: { id: randomUUID(), updatedAt: new Date().toISOString(), name: { firstName: 'Ada', lastName: 'L' } },
    ...over,
  });

  async function postTwenty(body: unknown, o: { ts?: number; secret?: string; nonce?: string; text?: string; omit?: string } = {}) {
    const text = o.text ?? JSON.stringify(body);
    const ts = String(o.ts ?? Date.now());
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-twenty-webhook-timestamp': ts,
      'x-twenty-webhook-signature': createHmac('sha256', o.secret ?? TWENTY_SECRET).update(`${ts}:${text}`).digest('hex'),
      'x-twenty-webhook-nonce': o.nonce ?? randomBytes(16).toString('hex'),
    };
    if (o.omit) delete headers[o.omit];
    const res = await request(`${base}/webhooks/twenty`, { method: 'POST', headers, body: text });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  }

  async function postSupabase(body: unknown, auth = `Bearer ${SUPABASE_SECRET}`, text?: string) {
    const res = await request(`${base}/webhooks/supabase`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
      body: text ?? JSON.stringify(body),
    });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  }

  const jobs = () => inbound.getJobCounts('waiting', 'delayed', 'active');
  const nothingEnqueued = async () => expect(Object.values(await jobs()).reduce((a, b) => a + b, 0)).toBe(0);
  const nothingWritten = async () => {
    expect((await db.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM contacts'))!.n).toBe(0);
    expect((await db.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM contact_links'))!.n).toBe(0);
  };

  it('a valid Twenty delivery is accepted with 202 and one inbound job; a redelivery (new nonce, same event) enqueues nothing new', async () => {
    const body = person();
    const a = await postTwenty(body);
    expect(a.status).toBe(202);
    const b = await postTwenty(body);
    expect(b).toMatchObject({ status: 202, body: { jobId: a.body.jobId } });
    expect((await jobs()).waiting).toBe(1);
    const [job] = await inbound.getJobs(['waiting']);
    expect(job!.data).toEqual({ system: 'twenty', externalId: body.record.id, deleted: false, at: body.eventDate, record: body.record });
  });

  it('Twenty: missing or bad signature, wrong secret, stale or future timestamp → 401', async () => {
    const body = person();
    expect((await postTwenty(body, { omit: 'x-twenty-webhook-signature' })).body).toEqual({ error: 'missing_signature' });
    expect((await postTwenty(body, { omit: 'x-twenty-webhook-timestamp' })).status).toBe(401);
    expect(await postTwenty(body, { secret: 'not-the-secret' })).toEqual({ status: 401, body: { error: 'bad_signature' } });
    expect(await postTwenty(body, { ts: Date.now() - 6 * 60_000 })).toEqual({ status: 401, body: { error: 'stale_timestamp' } });
    expect(await postTwenty(body, { ts: Date.now() + 6 * 60_000 })).toEqual({ status: 401, body: { error: 'stale_timestamp' } });
    // A signature over other content than what was sent.
    const ts = String(Date.now());
    const res = await request(`${base}/webhooks/twenty`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-twenty-webhook-timestamp': ts, 'x-twenty-webhook-signature': createHmac('sha256', TWENTY_SECRET).update(`${ts}:{}`).digest('hex') },
      body: JSON.stringify(body),
    });
    expect(res.statusCode).toBe(401);
    await res.body.dump();
    await nothingEnqueued();
    await nothingWritten();
  });

  it('Twenty: a replayed delivery (same signature, any nonce) or a reused nonce → 401, enqueued once', async () => {
    const body = person();
    const ts = Date.now();
    const nonce = randomBytes(16).toString('hex');
    expect((await postTwenty(body, { ts, nonce })).status).toBe(202);
    expect(await postTwenty(body, { ts, nonce })).toEqual({ status: 401, body: { error: 'replayed_delivery' } });
    expect((await postTwenty(body, { ts, nonce: randomBytes(16).toString('hex') })).status).toBe(401);
    expect((await postTwenty(person(), { nonce })).status).toBe(401);
    expect((await jobs()).waiting).toBe(1);
  });

  it('Twenty: a malformed body with a valid signature → 400 naming the field', async () => {
    expect(await postTwenty(person({ record: { name: 'x' } }))).toEqual({ status: 400, body: { error: 'record.id: Invalid input: expected string, received undefined' } });
    expect((await postTwenty(person({ eventName: 'person.exploded' }))).body.error).toMatch(/^eventName: /);
    expect((await postTwenty(person({ eventDate: 'yesterday' }))).body.error).toMatch(/^eventDate: must be an ISO-8601 instant/);
    expect(await postTwenty(undefined, { text: '{"targetUrl": ' })).toEqual({ status: 400, body: { error: 'body: is not valid JSON' } });
    await nothingEnqueued();
    await nothingWritten();
  });

  it('a body over 1 MB → 413 on both routes, nothing enqueued', async () => {
    const big = person({ record: { id: randomUUID(), padding: 'x'.repeat(1024 * 1024) } });
    expect((await postTwenty(big)).status).toBe(413);
    expect((await postSupabase({ type: 'INSERT', table: 'contacts', schema: 'public', record: { contact_id: 'a', padding: 'x'.repeat(1024 * 1024) }, old_record: null })).status).toBe(413);
    await nothingEnqueued();
    await nothingWritten();
  });

  const sbBody = (over: Record<string, unknown> = {}) => ({
    type: 'UPDATE',
    table: 'contacts',
    schema: 'public',
    record: { contact_id: randomUUID(), canonical_name: 'Ada', updated_at: new Date().toISOString() },
    old_record: { contact_id: 'x', canonical_name: 'Ad' },
    ...over,
  });

  it('Supabase: valid → 202 and one job (redelivery enqueues nothing new); DELETE carries old_record', async () => {
    const body = sbBody();
    const a = await postSupabase(body);
    expect(a.status).toBe(202);
    expect((await postSupabase(body)).body.jobId).toBe(a.body.jobId);
    const del = await postSupabase({ type: 'DELETE', table: 'contacts', schema: 'public', record: null, old_record: { contact_id: body.record.contact_id } });
    expect(del.status).toBe(202);
    const list = await inbound.getJobs(['waiting']);
    expect(list.map((j) => j.data).sort((x, y) => Number(x.deleted) - Number(y.deleted))).toEqual([
      { system: 'supabase', externalId: body.record.contact_id, deleted: false, at: body.record.updated_at, record: body.record },
      { system: 'supabase', externalId: body.record.contact_id, deleted: true },
    ]);
  });

  it("Twenty: Kith's own write coming back is acknowledged without a job; an edit, or a record whose company needs a lookup, is enqueued", async () => {
    const c = contact({ company: null });
    const twentyId = randomUUID();
    const record = { ...toTwentyPerson(c, null, twentyId), id: twentyId, updatedAt: new Date().toISOString(), deletedAt: null };
    await recordLink(db.db, { contactId: c.contact_id, system: 'twenty', externalId: twentyId, hash: linkHashFor({ view: twentyView }, c), version: c.sync_metadata.version, at: Date.now() });
    try {
      expect(await postTwenty(person({ record }))).toEqual({ status: 202, body: { accepted: true, echo: c.contact_id } });
      await nothingEnqueued();
      const edited = await postTwenty(person({ record: { ...record, jobTitle: 'Edited in Twenty' } }));
      expect(edited.body.jobId).toMatch(/^tw\./);
      const withCompany = await postTwenty(person({ record: { ...record, companyId: randomUUID(), updatedAt: new Date(Date.now() + 1).toISOString() } }));
      expect(withCompany.body.jobId).toMatch(/^tw\./);
      expect((await inbound.getJobs(['waiting'])).map((j) => j.data.externalId)).toEqual([twentyId, twentyId]);
    } finally {
      await db.db.run('DELETE FROM contact_links');
    }
  });

  it("Supabase: Kith's own write coming back is acknowledged without a job; an edit of it is enqueued", async () => {
    const c = contact();
    const row = { ...toSupabaseRow(c, 'write-1'), updated_at: c.sync_metadata.last_updated };
    await recordLink(db.db, { contactId: c.contact_id, system: 'supabase', externalId: c.contact_id, hash: linkHashFor({ view: wholeView }, c), version: c.sync_metadata.version, at: Date.now() });
    try {
      const echo = await postSupabase(sbBody({ record: row }));
      expect(echo).toEqual({ status: 202, body: { accepted: true, echo: c.contact_id } });
      await nothingEnqueued();
      const edited = await postSupabase(sbBody({ record: { ...row, job_title: 'Edited in Supabase' } }));
      expect(edited.status).toBe(202);
      expect(edited.body.jobId).toMatch(/^sb\./);
      expect((await inbound.getJobs(['waiting'])).map((j) => j.data.externalId)).toEqual([c.contact_id]);
    } finally {
      await db.db.run('DELETE FROM contact_links');
    }
  });

  it("An echo that arrives before Kith recorded its write (only the write's intent exists) is acknowledged without a job, in both systems; a newer version or other content is enqueued", async () => {
    const c = contact({ company: null });
    const row = { ...toSupabaseRow(c, 'write-1'), updated_at: c.sync_metadata.last_updated };
    // Kith creates Twenty people under the contact id, so with no link the record still maps to it.
    const record = { ...toTwentyPerson(c, null, c.contact_id), id: c.contact_id, updatedAt: new Date().toISOString(), deletedAt: null };
    // No link at all: what the write left is its intent.
    await expectEchoes(conn, prefix, 'supabase', [{ contactId: c.contact_id, hash: linkHashFor({ view: wholeView }, c), version: c.sync_metadata.version }]);
    await expectEchoes(conn, prefix, 'twenty', [{ contactId: c.contact_id, hash: linkHashFor({ view: twentyView }, c), version: c.sync_metadata.version }]);
    expect(await postSupabase(sbBody({ record: row }))).toEqual({ status: 202, body: { accepted: true, echo: c.contact_id } });
    expect(await postTwenty(person({ record }))).toEqual({ status: 202, body: { accepted: true, echo: c.contact_id } });
    await nothingEnqueued();
    // Another system's intent does not count, nor does a version past the one written.
    expect((await postSupabase(sbBody({ record: { ...row, version: c.sync_metadata.version + 1 } }))).body.jobId).toMatch(/^sb\./);
    expect((await postSupabase(sbBody({ record: { ...row, job_title: 'Edited in Supabase' } }))).body.jobId).toMatch(/^sb\./);
    expect((await postTwenty(person({ record: { ...record, jobTitle: 'Edited in Twenty' } }))).body.jobId).toMatch(/^tw\./);
    expect((await inbound.getJobs(['waiting'])).length).toBe(3);
  });

  it('Supabase: missing or wrong bearer → 401; malformed → 400 naming the field', async () => {
    expect((await postSupabase(sbBody(), '')).status).toBe(401);
    expect((await postSupabase(sbBody(), 'Bearer wrong-secret-value')).status).toBe(401);
    expect((await postSupabase(sbBody(), SUPABASE_SECRET)).status).toBe(401);
    expect((await postSupabase(sbBody({ type: 'MERGE' }))).body.error).toMatch(/^type: /);
    expect((await postSupabase(sbBody({ table: 'people' }))).body.error).toBe("table: must be 'contacts' (got 'people')");
    expect((await postSupabase(sbBody({ record: { canonical_name: 'x' } }))).body.error).toBe('record.contact_id: must be a non-empty string');
    expect((await postSupabase(sbBody({ schema: undefined }))).body.error).toMatch(/^schema: /);
    expect(await postSupabase(undefined, '', 'nope')).toMatchObject({ status: 401 });
    expect(await postSupabase(undefined, `Bearer ${SUPABASE_SECRET}`, 'nope')).toEqual({ status: 400, body: { error: 'body: is not valid JSON' } });
    await nothingEnqueued();
    await nothingWritten();
  });
});

/** The webhook routes while Redis is down: the sender is told to come back (503), never 500, and never kept waiting. */
describe('webhook producers without Redis', () => {
  let db: TestDb;
  let http: HttpServer;
  let base: string;

  beforeAll(async () => {
    db = await freshDb('sqlite');
    const env = { TWENTY_WEBHOOK_SECRET: TWENTY_SECRET, SUPABASE_WEBHOOK_SECRET: SUPABASE_SECRET };
    http = await buildHttpServer({ redisUrl: `redis://127.0.0.1:${await freePort()}`, prefix: uniquePrefix(), db: db.db, queues: allQueues(), log: testLog, ...hubHttpOptions(db.db, env) });
    base = await http.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await http.close();
    await db.dispose();
  });

  it('a valid Twenty delivery → 503 (its replay check cannot run), so Twenty delivers it again', async () => {
    const text = JSON.stringify({ targetUrl: `${base}/webhooks/twenty`, eventName: 'person.updated', objectMetadata: { id: randomUUID(), nameSingular: 'person' }, workspaceId: randomUUID(), webhookId: randomUUID(), eventDate: new Date().toISOString(), record: { id: randomUUID(), updatedAt: new Date().toISOString(), name: { firstName: 'Ada', lastName: 'L' } } });
    const ts = String(Date.now());
    const res = await request(`${base}/webhooks/twenty`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-twenty-webhook-timestamp': ts, 'x-twenty-webhook-signature': createHmac('sha256', TWENTY_SECRET).update(`${ts}:${text}`).digest('hex'), 'x-twenty-webhook-nonce': randomBytes(16).toString('hex') },
      body: text,
    });
    const body = (await res.body.json()) as { error: string };
    expect(res.statusCode).toBe(503);
    expect(body.error).toMatch(/Redis/);
  });

  it('a valid Supabase delivery → 503 within the enqueue timeout, so Supabase delivers it again', async () => {
    const started = Date.now();
    const res = await request(`${base}/webhooks/supabase`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SUPABASE_SECRET}` },
      body: JSON.stringify({ type: 'UPDATE', table: 'contacts', schema: 'public', record: { contact_id: randomUUID(), canonical_name: 'Ada', updated_at: new Date().toISOString() }, old_record: null }),
      headersTimeout: 20_000,
      bodyTimeout: 20_000,
    });
    const body = (await res.body.json()) as { error: string };
    expect(res.statusCode).toBe(503);
    expect(body.error).toMatch(/Redis did not take the job/);
    expect(Date.now() - started).toBeLessThan(ENQUEUE_TIMEOUT_MS + 5_000);
  }, 30_000);
});
