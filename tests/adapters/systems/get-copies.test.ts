import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { type ContactRef, type ContactSystem, readCopies } from '../../../src/hub/ports/contact-system.js';
import { createSupabaseClient } from '../../../src/systems/supabase/supabase-client.js';
import { SupabaseContactSystem } from '../../../src/systems/supabase/supabase-contact-system.js';
import { LocalContactSystem } from '../../../src/systems/local/local-contact-system.js';
import { TwentyClient } from '../../../src/systems/twenty/twenty-client.js';
import { TwentyContactSystem } from '../../../src/systems/twenty/twenty-contact-system.js';
import { startSupabaseEmulator } from '../../emulators/supabase/supabase-emulator.js';
import { startTwentyEmulator } from '../../emulators/twenty/twenty-emulator.js';
import { ENGINES, freshDb, postgresUrl } from '../../support/test-env.js';
import { makeContact } from '../../support/systems/twenty/contact-fixture.js';

/**
 * getCopies (one read for many copies, used by the guard of batched pushes) against the same
 * emulators and databases the adapter tests use: keyed by the ref's contact id, absent copies
 * left out, each copy exactly what `get` answers for that ref.
 */
const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** The same system without getCopies: readCopies must fall back to one get per ref. */
function withoutGetCopies(system: ContactSystem): ContactSystem & { gets: ContactRef[] } {
  const gets: ContactRef[] = [];
  return {
    name: system.name,
    gets,
    view: (c) => system.view(c),
    keepsVersion: system.keepsVersion,
    get: (ref) => {
      gets.push(ref as ContactRef);
      return system.get(ref);
    },
    listChanged: (c, l) => system.listChanged(c, l),
    upsertMany: (c, e, o) => system.upsertMany(c, e, o),
    softDelete: (r, at) => system.softDelete(r, at),
  };
}

/** getCopies(refs) equals get(ref) for every ref (absent where get answers nothing), and readCopies agrees with both paths. */
async function expectCopiesMatchGet(system: ContactSystem, refs: ContactRef[]) {
  const copies = await system.getCopies!(refs);
  const expected = new Map();
  for (const r of refs) {
    const one = await system.get(r);
    if (one) expected.set(r.contactId, one);
  }
  expect(copies).toEqual(expected);
  expect(await readCopies(system, refs)).toEqual(expected);
  const fallback = withoutGetCopies(system);
  expect(await readCopies(fallback, refs)).toEqual(expected);
  expect(fallback.gets).toEqual(refs);
  return copies;
}

describe('Supabase getCopies (emulator)', () => {
  async function setup() {
    const emu = await startSupabaseEmulator({ postgresUrl: postgresUrl() });
    stops.push(() => emu.stop());
    return { emu, system: new SupabaseContactSystem(createSupabaseClient({ url: emu.url, key: emu.key })) };
  }

  it('answers what get answers, keyed by contact id; absent rows are left out, soft-deleted rows are included', async () => {
    const { system } = await setup();
    const [a, b, gone] = [makeContact({ n: 1, company: 'Acme' }), makeContact({ n: 2, job_title: 'CTO' }), makeContact({ n: 3 })];
    await system.upsertMany([a, b, gone]);
    await system.softDelete([{ contactId: gone.contact_id }], '2026-03-01T00:00:00.000Z');
    const missing = randomUUID();
    const refs = [{ contactId: a.contact_id }, { contactId: missing }, { contactId: b.contact_id, externalId: b.contact_id }, { contactId: gone.contact_id }];
    const copies = await expectCopiesMatchGet(system, refs);
    expect([...copies.keys()].sort()).toEqual([a.contact_id, b.contact_id, gone.contact_id].sort());
    expect(copies.has(missing)).toBe(false);
    expect(copies.get(a.contact_id)).toMatchObject({ system: 'supabase', externalId: a.contact_id, fields: { company: 'Acme' } });
    expect(copies.get(b.contact_id)!.fields.job_title).toBe('CTO');
    expect(copies.get(gone.contact_id)!.deletedAt).not.toBeNull();
  });

  it('reads many rows in one request per 100 ids, and none for no refs', async () => {
    const { emu, system } = await setup();
    const many = Array.from({ length: 130 }, (_, i) => makeContact({ n: i }));
    await system.upsertMany(many);
    const gets = () => emu.requests.filter((r) => r.method === 'GET').length;
    let before = gets();
    const copies = await system.getCopies([...many.map((c) => ({ contactId: c.contact_id })), { contactId: randomUUID() }]);
    expect(gets() - before).toBe(2);
    expect(copies.size).toBe(130);
    for (const c of many) expect(copies.get(c.contact_id)?.fields.canonical_name).toBe(c.canonical_name);
    before = gets();
    expect(await readCopies(system, [])).toEqual(new Map());
    expect(gets()).toBe(before);
  });
});

describe('Twenty getCopies (emulator)', () => {
  async function setup() {
    const emu = await startTwentyEmulator();
    const system = new TwentyContactSystem(new TwentyClient({ apiUrl: emu.url, apiKey: emu.apiKey, rateLimit: { limit: 1000, windowMs: 60_000 } }));
    stops.push(async () => {
      await system.close();
      await emu.stop();
    });
    return { emu, system };
  }

  it('answers what get answers; a person whose Twenty id differs from the contact id maps back to the contact id', async () => {
    const { emu, system } = await setup();
    const [a, b] = [makeContact({ n: 1, company: 'Acme' }), makeContact({ n: 2, job_title: 'CTO' })];
    await system.upsertMany([a, b]);
    // A person created in Twenty keeps its own id; Kith knows it under another contact id (a link).
    const own = emu.createPerson({ name: { firstName: 'Grace', lastName: 'Hopper' }, emails: { primaryEmail: 'grace@example.org', additionalEmails: [] }, jobTitle: 'Admiral' });
    const linkedContactId = randomUUID();
    const gone = makeContact({ n: 3 });
    await system.upsertMany([gone]);
    emu.deletePerson(gone.contact_id);
    const missing = randomUUID();
    const refs: ContactRef[] = [
      { contactId: a.contact_id },
      { contactId: linkedContactId, externalId: own.id as string },
      { contactId: missing },
      // The external id decides, not the contact id: b's contact id with an unknown Twenty id is absent.
      { contactId: b.contact_id, externalId: randomUUID() },
      { contactId: gone.contact_id, externalId: gone.contact_id },
    ];
    const copies = await expectCopiesMatchGet(system, refs);
    expect([...copies.keys()].sort()).toEqual([a.contact_id, linkedContactId, gone.contact_id].sort());
    expect(copies.get(linkedContactId)).toMatchObject({ system: 'twenty', externalId: own.id, fields: { canonical_name: 'Grace Hopper', job_title: 'Admiral' } });
    expect(copies.has(own.id as string)).toBe(false);
    expect(copies.get(a.contact_id)!.fields.company).toBe('Acme');
    expect(copies.get(gone.contact_id)!.deletedAt).not.toBeNull();
    // With its right Twenty id, b is found.
    expect((await system.getCopies([{ contactId: b.contact_id, externalId: b.contact_id }])).get(b.contact_id)!.fields.job_title).toBe('CTO');
  });

  it('reads many people in one filtered list per 60 ids', async () => {
    const { emu, system } = await setup();
    const many = Array.from({ length: 70 }, (_, i) => makeContact({ n: i }));
    await system.upsertMany(many);
    const lists = () => emu.requests.filter((r) => r.method === 'GET' && r.path === '/rest/people').length;
    const before = lists();
    const copies = await system.getCopies(many.map((c) => ({ contactId: c.contact_id })));
    expect(lists() - before).toBe(2);
    expect(copies.size).toBe(70);
    // Twenty holds first and last names (its canonical_name is derived from them).
    for (const c of many) expect(copies.get(c.contact_id)?.fields.first_name).toBe(c.first_name);
  });
});

describe.each(ENGINES)('local getCopies on %s', (engine) => {
  it('answers what get answers, keyed by contact id; absent ids are left out, deleted rows included', async () => {
    const t = await freshDb(engine);
    stops.push(() => t.dispose());
    const system = new LocalContactSystem(t.db);
    const [a, b, gone] = [makeContact({ n: 1, company: 'Acme' }), makeContact({ n: 2, job_title: 'CTO' }), makeContact({ n: 3 })];
    await system.upsertMany([a, b, gone]);
    await system.softDelete([{ contactId: gone.contact_id }], '2026-03-01T00:00:00.000Z');
    const missing = randomUUID();
    const refs = [{ contactId: a.contact_id }, { contactId: missing }, { contactId: b.contact_id }, { contactId: gone.contact_id }, { contactId: a.contact_id }];
    const copies = await expectCopiesMatchGet(system, refs);
    expect([...copies.keys()].sort()).toEqual([a.contact_id, b.contact_id, gone.contact_id].sort());
    expect(copies.get(a.contact_id)).toMatchObject({ system: 'local', contactId: a.contact_id, fields: { company: 'Acme' } });
    expect(copies.get(b.contact_id)!.fields.job_title).toBe('CTO');
    expect(copies.get(gone.contact_id)!.deletedAt).toBe('2026-03-01T00:00:00.000Z');
  });
});
