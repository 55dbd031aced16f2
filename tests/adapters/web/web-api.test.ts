import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../../src/db/db.js';
import { conflictSide, recordConflict } from '../../../src/hub/stores/sync-conflicts.store.js';
import { recordLink } from '../../../src/hub/stores/contact-links.store.js';
import { markPending } from '../../../src/hub/stores/contact-outbox.store.js';
import { linkPerson } from '../../../src/systems/local/contacts-table.js';
import { LocalCanonicalStore } from '../../../src/systems/local/local-canonical.store.js';
import { webRoutes } from '../../../src/web/web.routes.js';
import { contact, ID1, systemCopy } from '../../support/contacts/contact-fixtures.js';
import { ENGINES, freshDb, type TestDb } from '../../support/test-env.js';

const JAN = Date.UTC(2026, 0, 10);
const MAR = Date.UTC(2026, 2, 5);

/** A small graph: Ada (strong, mail and a meeting), Bob (messages, no strength yet), Cy (one call), Dee merged into Ada. */
async function seed(db: Db): Promise<void> {
  const person = (id: string, name: string, o: { email?: number; meeting?: number; message?: number; call?: number; strength?: number | null; last?: number | null; merged?: string; emails?: string[] }) =>
    db.run(
      `INSERT INTO people (id, canonical_name, name_key, emails, email_count, meeting_count, message_count, call_count, strength, last_interaction_at, merged_into, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1)`,
      [id, name, name.toLowerCase(), JSON.stringify(o.emails ?? []), o.email ?? 0, o.meeting ?? 0, o.message ?? 0, o.call ?? 0, o.strength ?? null, o.last ?? null, o.merged ?? null],
    );
  await person('p_ada', 'Ada Lovelace', { email: 2, meeting: 1, strength: 80, last: MAR, emails: ['ada@example.com'] });
  await person('p_bob', 'Bob Stone', { message: 7, strength: null, last: JAN });
  await person('p_cy', 'Cy Young', { call: 1, strength: 20, last: JAN - 1000 });
  await person('p_dee', 'Dee Old', { strength: 99, merged: 'p_ada' });
  const interaction = (pid: string, type: string, ext: string, at: number, title: string) =>
    db.run('INSERT INTO interactions (person_id, source_type, external_id, occurred_at, title, entity_ref) VALUES (?, ?, ?, ?, ?, ?)', [pid, type, ext, at, title, 'email:ada@example.com']);
  await interaction('p_ada', 'gmail', 'm1', JAN, 'Plans');
  await interaction('p_ada', 'gmail', 'm2', JAN + 3_600_000, 'Re: Plans');
  await interaction('p_ada', 'calendar', 'e1', MAR, 'Engine sync');
  await db.run("INSERT INTO source_entities (source, external_id, person_id, emails, names, created_at, updated_at) VALUES ('mbox', 'email:ada@example.com', 'p_ada', '[\"ada@example.com\"]', '[\"Ada Lovelace\"]', 1, 1)");
  await db.run("INSERT INTO relationships (person_a, person_b, shared_events_count, shared_threads_count, shared_messages_count, updated_at) VALUES ('p_ada', 'p_bob', 1, 2, 0, 1)");
  await db.run("INSERT INTO relationships (person_a, person_b, shared_events_count, shared_threads_count, shared_messages_count, updated_at) VALUES ('p_bob', 'p_cy', 0, 0, 4, 1)");
  await db.run("INSERT INTO sync_runs (id, kind, status, started_at, finished_at, details) VALUES ('run-1', 'manual', 'succeeded', 1000, 5000, '{\"summary\":{\"people\":4,\"interactions\":3,\"relationships\":2}}')");
  await db.run(
    `INSERT INTO sync_run_steps (run_id, step_id, phase, depends_on, queue, failure_policy, params, status, started_at, finished_at, records, error, attempts)
     VALUES ('run-1', 'collect:mbox', 1, '[]', 'source-mbox', 'continue', '{}', 'succeeded', 1100, 2100, 3, NULL, 1),
            ('run-1', 'link-entities', 2, '["collect:mbox"]', 'sync-link', 'fail-run', '{}', 'failed', 2200, 2500, 0, 'boom', 2)`,
  );
  await db.run("INSERT INTO sync_state (key, stage, failure_count, last_success_at, records, updated_at) VALUES ('source:mbox', 'idle', 0, 4000, 3, 4000)");
  await db.run("INSERT INTO link_reviews (id, source, external_id, candidates, reason, created_at) VALUES ('rev-1', 'vcard', 'x1', '[\"p_bob\",\"p_cy\"]', 'two matches', 1)");
}

describe.each(ENGINES)('web view API on %s', (engine) => {
  let t: TestDb;
  let app: FastifyInstance;
  const get = async (url: string) => {
    const r = await app.inject({ method: 'GET', url });
    return { status: r.statusCode, body: r.json() as Record<string, unknown> & { [k: string]: never } };
  };

  beforeEach(async () => {
    t = await freshDb(engine);
    await seed(t.db);
    app = Fastify();
    await webRoutes({ db: t.db, systems: { canonical: 'local', targets: ['supabase'] } })(app);
    await app.ready();
  });
  afterEach(async () => {
    await app?.close();
    await t?.dispose();
  });

  it('pages people on the server: sorted with nulls last, searched, counted; merged people left out', async () => {
    const byStrength = await get('/api/people?limit=2');
    expect(byStrength.status).toBe(200);
    expect(byStrength.body).toMatchObject({ total: 3, page: 1, limit: 2 });
    expect((byStrength.body.people as { id: string }[]).map((p) => p.id)).toEqual(['p_ada', 'p_cy']);
    const page2 = await get('/api/people?limit=2&page=2');
    expect((page2.body.people as { id: string }[]).map((p) => p.id)).toEqual(['p_bob']);
    const asc = await get('/api/people?sort=strength&dir=asc');
    expect((asc.body.people as { id: string }[]).map((p) => p.id)).toEqual(['p_cy', 'p_ada', 'p_bob']);
    const byMessages = await get('/api/people?sort=message');
    expect((byMessages.body.people as { id: string; counts: { message: number } }[])[0]).toMatchObject({ id: 'p_bob', counts: { message: 7 }, total: 7 });
    const byLast = await get('/api/people?sort=last');
    expect((byLast.body.people as { id: string }[]).map((p) => p.id)).toEqual(['p_ada', 'p_bob', 'p_cy']);
    const byTotal = await get('/api/people?sort=total&dir=asc');
    expect((byTotal.body.people as { id: string }[]).map((p) => p.id)).toEqual(['p_cy', 'p_ada', 'p_bob']);
    const search = await get('/api/people?q=ADA');
    expect(search.body).toMatchObject({ total: 1, people: [{ id: 'p_ada', email: 'ada@example.com', strength: 80 }] });
  });

  it('answers 400 naming the parameter, 404 for an unknown person or route', async () => {
    expect(await get('/api/people?sort=nope')).toMatchObject({ status: 400, body: { parameter: 'sort' } });
    expect(await get('/api/people?limit=0')).toMatchObject({ status: 400, body: { parameter: 'limit' } });
    expect(await get('/api/graph?channel=fax')).toMatchObject({ status: 400, body: { parameter: 'channel' } });
    expect(await get('/api/people/p_ada/timeline?before=yesterday')).toMatchObject({ status: 400, body: { parameter: 'before' } });
    expect((await get('/api/people/p_nobody')).status).toBe(404);
    expect((await get('/api/people/p_nobody/monthly')).status).toBe(404);
    expect((await get('/api/sync/runs/run-none')).status).toBe(404);
    expect((await get('/api/nothing')).status).toBe(404);
    const bad = await app.inject({ method: 'POST', url: '/api/conflicts/cf-1/resolve', payload: { take: [] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ parameter: 'take' });
  });

  it('shows one person with identities, counts, often-with, a keyset-paged timeline and months by channel', async () => {
    const p = await get('/api/people/p_ada');
    expect(p.body).toMatchObject({ id: 'p_ada', total: 3, counts: { email: 2, meeting: 1 }, strength: 80, contacts: [] });
    expect((p.body.entities as { id: string }[]).map((e) => e.id)).toEqual(['mbox:email:ada@example.com']);
    expect(p.body.relationships).toMatchObject([{ personId: 'p_bob', name: 'Bob Stone', events: 1, threads: 2 }]);
    const first = await get('/api/people/p_ada/timeline?limit=2');
    expect((first.body.items as { title: string }[]).map((i) => i.title)).toEqual(['Engine sync', 'Re: Plans']);
    expect((first.body.items as { entityRef: string }[])[0]!.entityRef).toBe('email:ada@example.com');
    const next = first.body.next as unknown as { before: number; before_id: number };
    const rest = await get(`/api/people/p_ada/timeline?limit=2&before=${next.before}&before_id=${next.before_id}`);
    expect((rest.body.items as { title: string }[]).map((i) => i.title)).toEqual(['Plans']);
    expect(rest.body.next).toBeNull();
    expect((await get('/api/people/p_ada/monthly')).body).toEqual({ months: ['2026-01', '2026-02', '2026-03'], channels: { email: [2, 0, 0], meeting: [0, 0, 1] } });
  });

  it('draws the graph among the strongest people, filtered by strength and channel', async () => {
    const all = await get('/api/graph');
    expect((all.body.nodes as { id: string }[]).map((n) => n.id)).toEqual(['p_ada', 'p_cy', 'p_bob']);
    expect(all.body.edges).toHaveLength(2);
    const strong = await get('/api/graph?min_strength=10');
    expect((strong.body.nodes as { id: string }[]).map((n) => n.id)).toEqual(['p_ada', 'p_cy']);
    expect(strong.body.edges).toEqual([]);
    const messages = await get('/api/graph?channel=message');
    expect((messages.body.nodes as { id: string }[]).map((n) => n.id)).toEqual(['p_bob']);
    const top = await get('/api/graph?limit=2');
    expect(top.body).toMatchObject({ truncated: true, edges: [] });
    const email = await get('/api/graph?channel=email&limit=5');
    expect((email.body.nodes as { id: string }[]).map((n) => n.id)).toEqual(['p_ada']);
  });

  it('lists runs, a run with its steps, the sources and the hub', async () => {
    const runs = await get('/api/sync/runs');
    expect(runs.body.runs).toEqual([{ id: 'run-1', kind: 'manual', status: 'succeeded', startedAt: 1000, finishedAt: 5000, durationMs: 4000, steps: { succeeded: 1, failed: 1 } }]);
    const run = await get('/api/sync/runs/run-1');
    expect(run.body).toMatchObject({ summary: { people: 4 }, steps: [{ id: 'collect:mbox', durationMs: 1000, records: 3 }, { id: 'link-entities', dependsOn: ['collect:mbox'], error: 'boom', attempts: 2 }] });
    const sources = await get('/api/sync/sources');
    expect(sources.body.sources).toMatchObject([{ id: 'mbox', lastSuccessAt: 4000, records: 3, failureCount: 0 }]);
    const hub = await get('/api/hub');
    expect(hub.body).toMatchObject({ canonical: 'local', systems: [{ system: 'local', role: 'canonical' }, { system: 'supabase', role: 'target', pending: 0 }], conflicts: [] });
  });

  it('traces a linked contact: every version with its origin and changes, each system’s state, what is pending, conflicts it recorded', async () => {
    const store = new LocalCanonicalStore(t.db);
    await store.put(contact({ sync_metadata: { version: 3, last_updated_by: 'twenty' } }), undefined, { origin: 'webhook' });
    const v4 = contact({ job_title: 'Countess', sync_metadata: { version: 4, last_updated: '2026-01-11T10:00:00.000Z', last_updated_by: 'local' } });
    await store.put(v4, 3, { origin: 'local-edit' });
    // A replayed write is found unchanged and adds no version.
    await store.put(v4, undefined, { origin: 'local-edit' });
    await linkPerson(t.db, ID1, 'p_ada');
    await recordLink(t.db, { contactId: ID1, system: 'supabase', externalId: 'sb-1', hash: 'h', version: 3, at: 10 });
    await markPending(t.db, ID1, 4, ['supabase'], 20);
    const other = systemCopy(contact({ company: 'Royal Society' }), 'supabase', { version: 2 });
    await recordConflict(t.db, { contactId: ID1, a: conflictSide((await store.get(ID1))!), b: conflictSide(other), reason: 'tie', now: 30 });
    const trail = await get('/api/people/p_ada/contact-trail');
    const c = (trail.body.contacts as unknown as Record<string, unknown>[])[0]!;
    expect(c.contactId).toBe(ID1);
    expect(c.versions).toEqual([
      { version: 4, at: '2026-01-11T10:00:00.000Z', by: 'local', origin: 'local-edit', changed: ['job_title'], seenIn: 'history', deleted: false, heldBy: [] },
      expect.objectContaining({ version: 4, by: 'local', seenIn: expect.stringMatching(/^conflict /) }),
      {
        version: 3,
        at: '2026-01-10T10:00:00.000Z',
        by: 'twenty',
        origin: 'webhook',
        changed: ['canonical_name', 'first_name', 'last_name', 'emails', 'phones', 'company', 'job_title', 'category_code', 'subcategory_code'],
        seenIn: 'history',
        deleted: false,
        heldBy: ['supabase'],
      },
      expect.objectContaining({ version: 2, by: 'supabase' }),
    ]);
    expect(c.systems).toEqual([
      { system: 'local', role: 'canonical', externalId: null, lastVersion: null, state: 'canonical', lastSyncedAt: null, pending: null },
      { system: 'supabase', role: 'target', externalId: 'sb-1', lastVersion: 3, state: 'behind', lastSyncedAt: 10, pending: { version: 4, since: 20, attempts: 0, lastError: null } },
    ]);
    expect(c.conflicts).toMatchObject([{ open: true, a: 'local', b: 'supabase' }]);
    expect((await get('/api/people/p_ada')).body.contacts).toMatchObject([{ contactId: ID1, version: 4, lastUpdatedBy: 'local' }]);
  });

  it('a contact written before the store kept history still shows its current version', async () => {
    const store = new LocalCanonicalStore(t.db);
    await store.put(contact({ sync_metadata: { version: 3, last_updated_by: 'twenty' } }));
    await t.db.run('DELETE FROM contact_versions');
    await linkPerson(t.db, ID1, 'p_ada');
    const c = ((await get('/api/people/p_ada/contact-trail')).body.contacts as unknown as Record<string, unknown>[])[0]!;
    expect(c.versions).toEqual([{ version: 3, at: '2026-01-10T10:00:00.000Z', by: 'twenty', origin: null, changed: [], seenIn: 'canonical', deleted: false, heldBy: [] }]);
  });

  it('accepting a review merges its people once; a second request finds it done', async () => {
    expect((await get('/api/reviews')).body.reviews).toMatchObject([{ id: 'rev-1', candidates: [{ id: 'p_bob', name: 'Bob Stone' }, { id: 'p_cy' }] }]);
    const bad = await app.inject({ method: 'POST', url: '/api/reviews/rev-1/accept', payload: { keep: 'p_ada' } });
    expect(bad.statusCode).toBe(400);
    const r = await app.inject({ method: 'POST', url: '/api/reviews/rev-1/accept', payload: {} });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ keep: 'p_bob', alreadyAccepted: false, merge: { keep: 'p_bob', merged: ['p_cy'] } });
    expect(await t.db.get('SELECT merged_into FROM people WHERE id = ?', ['p_cy'])).toEqual({ merged_into: 'p_bob' });
    expect(await t.db.get("SELECT status FROM link_reviews WHERE id = 'rev-1'")).toEqual({ status: 'accepted' });
    const again = await app.inject({ method: 'POST', url: '/api/reviews/rev-1/accept' });
    expect(again.json()).toMatchObject({ alreadyAccepted: true, keep: 'p_bob', merge: null });
    expect(Number((await t.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM people_audit WHERE kind = 'merge'"))!.n)).toBe(1);
    expect((await get('/api/reviews')).body.reviews).toEqual([]);
    expect((await app.inject({ method: 'POST', url: '/api/reviews/rev-none/accept', payload: {} })).statusCode).toBe(404);
  });

  it('resolving a conflict stores the chosen side and closes it; again reports it resolved', async () => {
    const store = new LocalCanonicalStore(t.db);
    await store.put(contact());
    const theirs = systemCopy(contact({ job_title: 'Countess' }), 'supabase', { version: 3 });
    const { id } = await recordConflict(t.db, { contactId: ID1, a: conflictSide((await store.get(ID1))!), b: conflictSide(theirs), reason: 'tie', now: 1 });
    expect(((await get('/api/hub')).body.conflicts as unknown as { id: string }[]).map((c) => c.id)).toEqual([id]);
    const r = await app.inject({ method: 'POST', url: `/api/conflicts/${id}/resolve`, payload: { take: ['supabase'] } });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ alreadyResolved: false, version: 4 });
    expect((await store.get(ID1))!.job_title).toBe('Countess');
    expect((await store.history(ID1)).map((v) => [v.version, v.origin, v.changed])).toEqual([[4, 'conflict-resolution', ['job_title']], [3, null, expect.any(Array)]]);
    const again = await app.inject({ method: 'POST', url: `/api/conflicts/${id}/resolve`, payload: { take: ['local'] } });
    expect(again.json()).toMatchObject({ alreadyResolved: true });
    expect((await store.get(ID1))!.job_title).toBe('Countess');
    expect((await app.inject({ method: 'POST', url: '/api/conflicts/cf-none/resolve', payload: { take: ['local'] } })).statusCode).toBe(404);
  });

  it('serves the bundled front end for every page and its assets, without any outside address', async () => {
    for (const url of ['/', '/people/p_ada', '/graph', '/sync', '/sync/runs/run-1']) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(200);
      expect(r.body).toContain('<script type="module" src="/assets/app.js">');
    }
    const js = await app.inject({ method: 'GET', url: '/assets/app.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    const css = await app.inject({ method: 'GET', url: '/assets/app.css' });
    expect(css.body).toContain('.uplot');
    expect((await app.inject({ method: 'GET', url: '/' })).body).not.toMatch(/https?:\/\/(?!localhost|127\.)/);
  });
});

describe('web view behind the admin credentials', () => {
  let t: TestDb;
  afterEach(async () => t?.dispose());
  it('asks for them on pages and the API', async () => {
    t = await freshDb('sqlite');
    const app = Fastify();
    await webRoutes({ db: t.db, systems: { canonical: 'local', targets: [] }, admin: { user: 'admin', password: 'correct horse battery' } })(app);
    try {
      expect((await app.inject({ method: 'GET', url: '/api/people' })).statusCode).toBe(401);
      expect((await app.inject({ method: 'GET', url: '/' })).statusCode).toBe(401);
      const auth = `Basic ${Buffer.from('admin:correct horse battery').toString('base64')}`;
      expect((await app.inject({ method: 'GET', url: '/api/people', headers: { authorization: auth } })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
