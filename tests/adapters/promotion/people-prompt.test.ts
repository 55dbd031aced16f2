import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { registerPeoplePromptRoute } from '../../../src/http/routes/people-prompt.route.js';
import { ingestInteractions } from '../../../src/people/index.js';
import { createPerson } from '../../../src/people/resolve.service.js';
import { categorizePerson } from '../../../src/promotion/categorize.service.js';
import { resolvePersonRef } from '../../../src/promotion/person-ref.js';
import { ENGINES, freshDb, type TestDb } from '../../support/test-env.js';

describe.each(ENGINES)('a person’s prompt over HTTP and people named by id, email or name (%s)', (engine) => {
  let t: TestDb;
  afterEach(async () => t?.dispose());

  async function seed() {
    t = await freshDb(engine);
    const ada = await t.db.tx((q) => createPerson(q, 'Ada Lovelace'));
    const twin = await t.db.tx((q) => createPerson(q, 'Sam Twin'));
    await t.db.tx((q) => createPerson(q, 'Sam Twin'));
    await t.db.run(`UPDATE people SET emails = '["ada@example.com"]' WHERE id = ?`, [ada]);
    await ingestInteractions(t.db, [
      { personId: ada, sourceType: 'gmail', externalId: 'm1', occurredAt: Date.UTC(2026, 0, 5), title: 'Engine notes', conversationKey: 't1' },
      { personId: ada, sourceType: 'calendar', externalId: 'e1', occurredAt: Date.UTC(2026, 0, 9), title: 'Difference engine review', conversationKey: 'ev1' },
    ]);
    return { ada, twin };
  }

  it('GET /api/people/:id/prompt gives a person not promoted to a contact a context from the graph; unknown is 404; admin credentials are asked for', async () => {
    const { ada } = await seed();
    const app = Fastify();
    await registerPeoplePromptRoute(app, { db: t.db, admin: { user: 'admin', password: 's3cret' } });
    const auth = { authorization: `Basic ${Buffer.from('admin:s3cret').toString('base64')}` };
    expect((await app.inject({ url: `/api/people/${ada}/prompt` })).statusCode).toBe(401);
    const r = await app.inject({ url: `/api/people/${ada}/prompt?recent=1`, headers: auth });
    expect(r.statusCode).toBe(200);
    const body = r.json<{ person_id: string; contact_id: string | null; prompt: string }>();
    expect(body).toMatchObject({ person_id: ada, contact_id: null });
    expect(body.prompt).toContain('## Contact: Ada Lovelace');
    expect(body.prompt).toContain('Counts: 1 email, 1 meeting');
    expect(body.prompt).toMatch(/Recent interactions:\n- 2026-01-09 calendar: Difference engine review$/m);
    expect(body.prompt).not.toContain('Engine notes'); // recent=1
    expect((await app.inject({ url: '/api/people/ada@example.com/prompt', headers: auth })).json()).toMatchObject({ person_id: ada });
    expect((await app.inject({ url: '/api/people/p_nobody/prompt', headers: auth })).statusCode).toBe(404);
    expect((await app.inject({ url: `/api/people/${ada}/prompt?recent=x`, headers: auth })).statusCode).toBe(400);
    await app.close();
  });

  it('resolves a person by id, email or name, and an ambiguous name lists the candidates', async () => {
    const { ada, twin } = await seed();
    expect(await resolvePersonRef(t.db, ada)).toBe(ada);
    expect(await resolvePersonRef(t.db, 'ADA@example.com')).toBe(ada);
    expect(await resolvePersonRef(t.db, 'ada lovelace')).toBe(ada);
    await expect(resolvePersonRef(t.db, 'Sam Twin')).rejects.toThrow(new RegExp(`Sam Twin names 2 people: .*${twin}`));
    await expect(resolvePersonRef(t.db, 'nobody@example.com')).rejects.toThrow(/no person is known by/);
  });

  it('categorize sets the code by hand, refuses a bad code naming it, and clears with -', async () => {
    const { ada } = await seed();
    await expect(categorizePerson(t.db, ada, 'Q.1')).rejects.toThrow(/category: "Q.1" is not a code/);
    expect(await categorizePerson(t.db, 'ada@example.com', 'B.close')).toEqual({ personId: ada, category: { category: 'B', subcategory: 'B.close' } });
    expect(await t.db.get('SELECT category_code, subcategory_code, category_source FROM people WHERE id = ?', [ada])).toEqual({ category_code: 'B', subcategory_code: 'B.close', category_source: 'manual' });
    await categorizePerson(t.db, ada, '-');
    expect(await t.db.get('SELECT category_code, subcategory_code, category_source FROM people WHERE id = ?', [ada])).toEqual({ category_code: null, subcategory_code: null, category_source: null });
  });
});
