import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, NotFoundError, RateLimitedError, AuthError } from '../../../../src/errors.js';
import { createRedis, type RedisClient } from '../../../../src/redis/connection.js';
import { createNotionLimiter } from '../../../../src/systems/notion/notion-limiter.js';
import { openNotionPages } from '../../../../src/systems/notion/notion-pages.js';
import type { NotionPage } from '../../../../src/systems/notion/notion-pages.port.js';
import { NOTION_VALIDATION } from '../../../../src/systems/notion/notion-errors.js';
import { type NotionEmulator, startNotionEmulator } from '../../../emulators/notion/notion-emulator.js';
import { cleanupRedis, redisUrl, uniquePrefix } from '../../../support/test-env.js';

async function all(it: AsyncIterable<NotionPage[]>): Promise<NotionPage[][]> {
  const out: NotionPage[][] = [];
  for await (const batch of it) out.push(batch);
  return out;
}

describe('Notion pages through @notionhq/client against the emulator', () => {
  let emu: NotionEmulator;
  let contacts: string;
  let meetings: string;
  const prefix = uniquePrefix();
  let redis: RedisClient;

  beforeAll(async () => {
    emu = await startNotionEmulator({ rateLimit: false });
    contacts = emu.createDataSource('Contacts', { Name: 'title', Email: 'email' });
    meetings = emu.createDataSource('Meetings', {
      Title: 'title',
      Summary: 'rich_text',
      Score: 'number',
      Kind: { type: 'select', options: ['call', 'visit'] },
      Tags: 'multi_select',
      Stage: 'status',
      When: 'date',
      Done: 'checkbox',
      Link: 'url',
      Mail: 'email',
      Phone: 'phone_number',
      Owners: 'people',
      Attendees: { type: 'relation', relation: contacts },
      Created: 'created_time',
      Edited: 'last_edited_time',
    });
    redis = createRedis(redisUrl(), { name: `${prefix}:notion` });
  });
  afterAll(async () => {
    await emu.stop();
    await redis.quit();
    await cleanupRedis(prefix);
  });

  const pages = () => openNotionPages({ token: emu.token, baseUrl: emu.url });

  it('reads the schema by property name, with relation targets and options', async () => {
    const s = await pages().schema(meetings);
    expect(s.Attendees).toMatchObject({ type: 'relation', relation: { dataSourceId: contacts } });
    expect(s.Kind!.options).toEqual(['call', 'visit']);
    expect(s.Title!.type).toBe('title');
    expect(s.Edited!.type).toBe('last_edited_time');
  });

  it('creates a page with every writable type and reads back the same plain values', async () => {
    const np = pages();
    const people = await Promise.all(Array.from({ length: 30 }, (_, i) => np.create(contacts, { Name: `Person ${i}` })));
    const long = 'x'.repeat(4500) + '🙂' + 'y'.repeat(10);
    const values = {
      Title: 'Quarterly review',
      Summary: long,
      Score: 4.5,
      Kind: 'call',
      Tags: ['a', 'b'],
      Stage: 'In progress',
      When: { start: '2026-12-01T10:00:00.000+01:00', end: '2026-12-01T11:00:00.000+01:00', timeZone: null },
      Done: true,
      Link: 'https://example.org/x',
      Mail: 'a@example.org',
      Phone: '+33 1 23 45 67 89',
      Owners: ['0f0e7b3c-5d3a-4c59-9a0e-2bb2d3b1a111'],
      Attendees: people.map((p) => p.id),
    };
    const created = await np.create(meetings, values);
    // The long text went as several text objects of at most 2,000 characters.
    const raw = emu.page(created.id) as { properties: Record<string, { rich_text?: { plain_text: string }[]; relation?: unknown[]; has_more?: boolean }> };
    expect(raw.properties.Summary!.rich_text!.length).toBe(3);
    // A page object lists 25 relation ids; the client reads the other 5 through the property endpoint.
    expect(raw.properties.Attendees!.has_more).toBe(true);
    const got = await pages().get(created.id);
    for (const [k, v] of Object.entries(values)) expect(got!.properties[k]!.value, k).toEqual(v);
    expect(got!.dataSourceId).toBe(meetings);
    expect(got!.properties.Edited!.value).toBe(got!.lastEditedTime);
    expect(got!.lastEditedTime).toMatch(/:00\.000Z$/);
  });

  it('updates only the given properties, moves a page to the trash and back', async () => {
    const np = pages();
    const p = await np.create(meetings, { Title: 'Keep', Score: 1 });
    const u = await pages().update(p.id, { Score: 2 });
    expect(u.properties.Title!.value).toBe('Keep');
    expect(u.properties.Score!.value).toBe(2);
    const trashed = await np.update(p.id, {}, { inTrash: true });
    expect(trashed.inTrash).toBe(true);
    expect((await np.get(p.id))!.inTrash).toBe(true);
    const ids = (await all(np.query(meetings))).flat().map((x) => x.id);
    expect(ids).not.toContain(p.id);
    expect((await np.update(p.id, {}, { inTrash: false })).inTrash).toBe(false);
  });

  it('answers undefined for a page Notion does not know', async () => {
    expect(await pages().get('00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });

  it('queries 100 pages at a time, oldest edit first, and from a time on', async () => {
    const ds = emu.createDataSource('Books', { Name: 'title' });
    for (let i = 0; i < 230; i++) {
      emu.createPage(ds, { Name: { title: [{ text: { content: `Book ${i}` } }] } });
      await emu.clock.advance(1000);
    }
    const batches = await all(pages().query(ds));
    expect(batches.map((b) => b.length)).toEqual([100, 100, 30]);
    const names = batches.flat().map((p) => p.properties.Name!.value);
    expect(names[0]).toBe('Book 0');
    expect(names[229]).toBe('Book 229');
    await emu.clock.advance(120_000);
    const since = new Date(emu.clock.now()).toISOString();
    await emu.clock.advance(60_000);
    const edited = [...emu.store.pages.values()].find((p) => p.dataSourceId === ds)!.id;
    emu.editPage(edited, { Name: { title: [{ text: { content: 'Edited' } }] } });
    const recent = (await all(pages().query(ds, { editedSince: since }))).flat();
    expect(recent.map((p) => p.properties.Name!.value)).toEqual(['Edited']);
  });

  it('turns Notion errors into Kith errors: validation per record, auth, unknown property', async () => {
    const np = pages();
    const err = await np.create(meetings, { Title: 'x', Stage: 'No such status' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).code).toBe(NOTION_VALIDATION);
    expect((err as Error).message).toMatch(/Status option "No such status" does not exist/);
    await expect(np.create(meetings, { Nope: 'x' })).rejects.toThrow(/"Nope" does not exist/);
    await expect(np.create(meetings, { Created: 'x' })).rejects.toThrow(/"Created" \(created_time\): is computed by Notion/);
    await expect(openNotionPages({ token: 'wrong', baseUrl: emu.url }).schema(meetings)).rejects.toBeInstanceOf(AuthError);
    await expect(np.schema('11111111-1111-4111-8111-111111111111')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('waits out a short Retry-After and hands a long one to the caller as RateLimitedError', async () => {
    emu.injectFault({ path: '/v1/data_sources', status: 429, headers: { 'retry-after': '0' } });
    expect(Object.keys(await pages().schema(meetings))).toContain('Title');
    emu.injectFault({ path: '/v1/pages', status: 529, headers: { 'retry-after': '30' } });
    const err = await pages().get('00000000-0000-4000-8000-000000000001').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBe(30_000);
  });

  it('stays under the emulator’s enforced 3 requests a second with the shared limiter: no 429', async () => {
    emu.setRateLimit(3);
    const before = emu.stats.rateLimited;
    const limiter = createNotionLimiter({ redis: () => redis, prefix, rateLimit: { limit: 3, windowMs: 1000 } });
    const np = openNotionPages({ token: emu.token, baseUrl: emu.url, limiter });
    await Promise.all(Array.from({ length: 8 }, () => np.schema(contacts).then(() => np.get('00000000-0000-4000-8000-000000000002'))));
    expect(emu.stats.rateLimited).toBe(before);
    emu.setRateLimit(false);
  });
});

describe('Notion emulator webhooks', () => {
  it('sends the verification request, then events signed with the verification token', async () => {
    const got: { headers: Record<string, unknown>; body: string }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
        res.end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const emu = await startNotionEmulator({ rateLimit: false });
    try {
      await emu.setWebhook(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { verificationToken: 'secret_verify_me', verify: true });
      const ds = emu.createDataSource('T', { Name: 'title' });
      const id = emu.createPage(ds, { Name: { title: [{ text: { content: 'a' } }] } });
      emu.editPage(id, { Name: { title: [{ text: { content: 'b' } }] } });
      emu.trashPage(id);
      await emu.flushWebhooks();
      expect(JSON.parse(got[0]!.body)).toEqual({ verification_token: 'secret_verify_me' });
      const events = got.slice(1);
      expect(events.map((e) => JSON.parse(e.body).type)).toEqual(['page.created', 'page.properties_updated', 'page.deleted']);
      for (const e of events) {
        expect(e.headers['x-notion-signature']).toBe(`sha256=${createHmac('sha256', 'secret_verify_me').update(e.body).digest('hex')}`);
        expect(JSON.parse(e.body).entity).toEqual({ id, type: 'page' });
      }
      expect(JSON.parse(events[1]!.body).data.updated_properties).toEqual(['title']);
    } finally {
      await emu.stop();
      server.close();
    }
  });
});
