import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { ingestInteractions } from '../../../src/people/ingest.service.js';
import { registerSearchRoute, searchHealth } from '../../../src/http/routes/search.route.js';
import { indexItems } from '../../../src/search/index.service.js';
import { makePeople } from '../../support/people/people-fixtures.js';
import { ENGINES, freshDb, type TestDb } from '../../support/test-env.js';

describe.each(ENGINES)('GET /api/search (%s)', (engine) => {
  let t: TestDb | undefined;
  let app: FastifyInstance | undefined;

  afterEach(async () => {
    await app?.close();
    await t?.dispose();
    app = t = undefined;
  });

  async function serve(admin?: { user: string; password: string }) {
    t = await freshDb(engine);
    const [ada] = await makePeople(t.db, 1, 'Ada Lovelace');
    await ingestInteractions(t.db, [
      {
        personId: ada!, sourceType: 'gmail', externalId: 'grant-1@example.com#email:ada@example.com', entityRef: 'email:ada@example.com',
        occurredAt: Date.parse('2026-03-01T09:00:00Z'), title: 'Grant application', snippet: 'The telemetry grant is due Friday.', conversationKey: 'thread-1',
      },
    ]);
    await indexItems(t.db, 'mail');
    app = Fastify();
    await registerSearchRoute(app, { db: t.db, admin });
    await app.ready();
    return app;
  }

  it('answers with the mode and hits, as kith search --json does', async () => {
    const a = await serve();
    const res = await a.inject({ url: '/api/search?q=grants&person=ada%20lovelace&source=gmail&since=2026-01-01&limit=5&mode=bm25' });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ mode: string; hits: Record<string, unknown>[] }>();
    expect(body.mode).toBe('bm25');
    expect(body.hits).toHaveLength(1);
    expect(body.hits[0]).toMatchObject({ people: ['Ada Lovelace 0'], source: 'gmail', at: '2026-03-01T09:00:00.000Z', title: 'Grant application', ref: 'grant-1@example.com' });
    expect(Object.keys(body.hits[0]!).sort()).toEqual(['at', 'people', 'personIds', 'ref', 'score', 'snippet', 'source', 'title']);
    expect(String(body.hits[0]!.snippet)).toContain('**grant**');
    expect((await a.inject({ url: '/api/search?q=grant&until=2026-02-01' })).json()).toEqual({ mode: 'bm25', hits: [] });
    expect(await searchHealth(t!.db)).toEqual({ search: { chunks: 1, vector: 'off', message: 'vector search off: no KITH_EMBEDDINGS_URL' } });
  });

  it('names the bad parameter (400) and the unknown person (404)', async () => {
    const a = await serve();
    const limit = await a.inject({ url: '/api/search?q=x&limit=0' });
    expect(limit.statusCode).toBe(400);
    expect(limit.json<{ error: string }>().error).toMatch(/^limit/);
    expect((await a.inject({ url: '/api/search?q=x&since=yesterday' })).json<{ error: string }>().error).toMatch(/since must be a date/);
    expect((await a.inject({ url: '/api/search?q=x&mode=fuzzy' })).json<{ error: string }>().error).toMatch(/mode must be one of bm25, vector, hybrid/);
    expect((await a.inject({ url: '/api/search' })).json<{ error: string }>().error).toMatch(/give a query/);
    const who = await a.inject({ url: '/api/search?person=nobody@example.com' });
    expect(who.statusCode).toBe(404);
  });

  it('asks for the admin credentials when they are configured', async () => {
    const a = await serve({ user: 'admin', password: 'correct horse battery' });
    expect((await a.inject({ url: '/api/search?q=grant' })).statusCode).toBe(401);
    const auth = `Basic ${Buffer.from('admin:correct horse battery').toString('base64')}`;
    const ok = await a.inject({ url: '/api/search?q=grant', headers: { authorization: auth } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json<{ hits: unknown[] }>().hits).toHaveLength(1);
  });
});
