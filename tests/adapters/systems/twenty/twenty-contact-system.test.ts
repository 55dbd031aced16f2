import { afterEach, describe, expect, it } from 'vitest';
import { hashSystemFields } from '../../../../src/hub/domain/contact-content.js';
import { AuthError, RateLimitedError, TemporaryError } from '../../../../src/errors.js';
import { twentyView } from '../../../../src/systems/twenty/person.mapper.js';
import { TwentyClient } from '../../../../src/systems/twenty/twenty-client.js';
import { TwentyContactSystem } from '../../../../src/systems/twenty/twenty-contact-system.js';
import { startTwentyEmulator, type TwentyEmulator, type TwentyEmulatorOptions } from '../../../emulators/twenty/twenty-emulator.js';
import { makeContact } from '../../../support/systems/twenty/contact-fixture.js';

let emu: TwentyEmulator | undefined;
let system: TwentyContactSystem | undefined;

async function setup(opts: TwentyEmulatorOptions = {}, rateLimit = { limit: 1000, windowMs: 60_000 }) {
  emu = await startTwentyEmulator(opts);
  system = new TwentyContactSystem(new TwentyClient({ apiUrl: emu.url, apiKey: emu.apiKey, rateLimit }));
  return { emu, system };
}

afterEach(async () => {
  await system?.close();
  await emu?.stop();
  emu = system = undefined;
});

describe('TwentyContactSystem against the Twenty emulator', () => {
  it('creates with id = contact_id, reads back, and maps companies by name', async () => {
    const { emu, system } = await setup();
    const a = makeContact({ n: 1, company: 'Acme' });
    const b = makeContact({ n: 2, company: 'Acme' });
    const out = await system.upsertMany([a, b]);
    expect(out.map((o) => o.action)).toEqual(['created', 'created']);
    expect(out.map((o) => o.externalId)).toEqual([a.contact_id, b.contact_id]);
    const stored = emu.getPerson(a.contact_id)!;
    expect(stored.name).toEqual({ firstName: 'Person1', lastName: 'Example' });
    expect(emu.store.tables.company.size).toBe(1);
    expect(stored.companyId).toBe(emu.getPerson(b.contact_id)!.companyId);

    const got = await system.get({ contactId: a.contact_id });
    expect(got).toMatchObject({ system: 'twenty', externalId: a.contact_id, contactId: a.contact_id, deletedAt: null });
    expect(got!.fields).toEqual({ canonical_name: 'Person1 Example', first_name: 'Person1', last_name: 'Example', emails: ['person1@example.com'], phones: ['+14155550100'], company: 'Acme', job_title: 'Engineer', linkedin_url: null });
    expect(await system.get({ externalId: '00000000-0000-4000-8000-000000000000' })).toBeUndefined();
    // What Twenty holds hashes like the canonical record seen through twentyView: echoes are recognisable.
    expect(hashSystemFields(got!.fields)).toBe(hashSystemFields(twentyView(a)));
    expect(hashSystemFields(got!.fields)).not.toBe(hashSystemFields(twentyView({ ...a, job_title: 'Other' })));
    // A webhook record (no relations embedded) maps to the same contact.
    const fromHook = await system.fromRecord(JSON.parse(JSON.stringify(emu.getPerson(a.contact_id))));
    expect(fromHook.fields).toEqual(got!.fields);
    await expect(system.fromRecord({ name: {} })).rejects.toThrow(/record: .*id|id: /);
    expect((await system.client.getPerson(a.contact_id))!.company).toMatchObject({ name: 'Acme' });
    // The batch endpoint was used for creation, with the ids we chose.
    expect(emu.requests.filter((r) => r.method === 'POST' && r.path === '/rest/batch/people')).toHaveLength(1);
  });

  it('repeating an upsert is a no-op, a change is a PATCH, and nothing duplicates', async () => {
    const { emu, system } = await setup();
    const c = makeContact();
    await system.upsertMany([c]);
    const before = emu.requests.length;
    expect((await system.upsertMany([c]))[0]!.action).toBe('unchanged');
    expect(emu.requests.slice(before).every((r) => r.method === 'GET')).toBe(true);
    const changed = { ...c, job_title: 'Director', emails: ['new@example.com', 'person1@example.com'] };
    expect((await system.upsertMany([changed]))[0]!.action).toBe('updated');
    expect(emu.getPerson(c.contact_id)!.emails).toEqual({ primaryEmail: 'new@example.com', additionalEmails: ['person1@example.com'] });
    expect(emu.people()).toHaveLength(1);
    expect(emu.requests.some((r) => r.method === 'PATCH' && r.path === `/rest/people/${c.contact_id}`)).toBe(true);
    // The LinkedIn profile is Twenty's standard linkedinLink; it reads back as written, and again is unchanged.
    const linked = { ...changed, linkedin_url: 'https://www.linkedin.com/in/person1' };
    expect((await system.upsertMany([linked]))[0]!.action).toBe('updated');
    expect(emu.getPerson(c.contact_id)!.linkedinLink).toMatchObject({ primaryLinkUrl: 'https://www.linkedin.com/in/person1' });
    expect((await system.get({ contactId: c.contact_id }))!.fields.linkedin_url).toBe('https://www.linkedin.com/in/person1');
    expect((await system.upsertMany([linked]))[0]!.action).toBe('unchanged');
  });

  it('turns a create that meets an existing id (a retried job) into an update', async () => {
    const { emu, system } = await setup();
    const c = makeContact();
    const other = makeContact({ n: 2 });
    emu.store.createMany('person', [{ id: c.contact_id, name: { firstName: 'Stale', lastName: '' } }]);
    // Simulate the race: our pre-read sees nothing, so the batch create hits the duplicate.
    emu.injectFault({ method: 'GET', path: '/rest/people', status: 200, body: { data: { people: [] }, pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 0 } });
    const out = await system.upsertMany([c, other]);
    expect(out.map((o) => [o.contactId, o.action])).toEqual([
      [c.contact_id, 'updated'],
      [other.contact_id, 'created'],
    ]);
    expect(emu.people()).toHaveLength(2);
    expect(emu.getPerson(c.contact_id)!.name).toEqual({ firstName: 'Person1', lastName: 'Example' });
  });

  it('chunks creates into batches of at most 60', async () => {
    const { emu, system } = await setup();
    const many = Array.from({ length: 130 }, (_, i) => makeContact({ n: i }));
    const out = await system.upsertMany(many);
    expect(out.filter((o) => o.action === 'created')).toHaveLength(130);
    const batches = emu.requests.filter((r) => r.path === '/rest/batch/people');
    expect(batches.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(emu.people()).toHaveLength(130);
  });

  it('lists changes in order past one page, resumes from the cursor, and sees edits and deletions', async () => {
    const { emu, system } = await setup();
    // Each batch of 60 shares one updatedAt, so only the id tie-break keeps paging exact.
    const many = Array.from({ length: 150 }, (_, i) => makeContact({ n: i }));
    await system.upsertMany(many);
    const seen: string[] = [];
    let cursor: string | undefined;
    let done = false;
    for (let i = 0; i < 20 && !done; i++) {
      const page = await system.listChanged(cursor, 70);
      expect(page.contacts.length).toBeLessThanOrEqual(70);
      seen.push(...page.contacts.map((c) => c.externalId));
      cursor = page.cursor;
      done = page.done;
    }
    expect(done).toBe(true);
    expect(new Set(seen).size).toBe(150);
    const byChange = emu.people().sort((a, b) => Date.parse(a.updatedAt) - Date.parse(b.updatedAt) || (a.id < b.id ? -1 : 1));
    expect(seen).toEqual(byChange.map((p) => p.id));

    expect((await system.listChanged(cursor, 70)).contacts).toEqual([]);
    await emu.clock.advance(5);
    emu.editPerson(many[3]!.contact_id, { jobTitle: 'Edited in UI' });
    // A later millisecond: within one, changes are ordered by id, not by when they happened.
    await emu.clock.advance(5);
    await system.softDelete([{ contactId: many[7]!.contact_id }], new Date().toISOString());
    const later = await system.listChanged(cursor, 70);
    expect(later.contacts.map((c) => [c.externalId, c.fields.job_title, c.deletedAt != null])).toEqual([
      [many[3]!.contact_id, 'Edited in UI', false],
      [many[7]!.contact_id, 'Engineer', true],
    ]);
    expect(later.done).toBe(true);
  });

  it('soft-deletes (never destroys), restores on a later upsert, and ignores unknown ids', async () => {
    const { emu, system } = await setup();
    const c = makeContact();
    await system.upsertMany([c]);
    await system.softDelete([{ contactId: c.contact_id }, { contactId: '00000000-0000-4000-8000-00000000dead' }], new Date().toISOString());
    expect(emu.requests.filter((r) => r.method === 'DELETE').every((r) => r.query.soft_delete === 'true')).toBe(true);
    expect(emu.getPerson(c.contact_id)!.deletedAt).not.toBeNull();
    expect((await system.get({ contactId: c.contact_id }))!.deletedAt).not.toBeNull();
    // A deleted canonical record that is already deleted in Twenty: nothing to do.
    expect((await system.upsertMany([{ ...c, deleted_at: '2026-02-01T00:00:00.000Z' }]))[0]!.action).toBe('unchanged');
    expect((await system.upsertMany([c]))[0]!.action).toBe('updated');
    expect(emu.getPerson(c.contact_id)!.deletedAt).toBeNull();
    expect(emu.requests.some((r) => r.path === `/rest/restore/people/${c.contact_id}`)).toBe(true);
  });

  it('keeps a burst under the enforced quota without a single 429', async () => {
    const { emu, system } = await setup({ rateLimit: { limit: 20, windowMs: 2000 } }, { limit: 20, windowMs: 2000 });
    const c = makeContact();
    await system.upsertMany([c]);
    const start = Date.now();
    await Promise.all(Array.from({ length: 45 }, () => system.get({ contactId: c.contact_id })));
    expect(emu.stats.rateLimited).toBe(0);
    expect(emu.requests.every((r) => r.status !== 429)).toBe(true);
    // 47 requests at 20 per 2 s need at least two full windows.
    expect(Date.now() - start).toBeGreaterThanOrEqual(3900);
  });

  it('without the limiter the same burst is refused by the emulator (the check above can fail)', async () => {
    const { emu, system } = await setup({ rateLimit: { limit: 20, windowMs: 2000 } }, { limit: 1000, windowMs: 2000 });
    const results = await Promise.allSettled(Array.from({ length: 30 }, () => system.get({ contactId: '00000000-0000-4000-8000-000000000001' })));
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
    // 10 normally; fewer only if the machine needed more than the whole window for 30 requests.
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]).toBeInstanceOf(RateLimitedError);
    expect((refused[0] as RateLimitedError).retryAfterMs).toBeGreaterThanOrEqual(1000);
    expect(emu.stats.rateLimited).toBe(refused.length);
  });

  it('maps 429, 5xx, 401 and dropped connections through the error table', async () => {
    const { emu, system } = await setup();
    emu.injectFault({ status: 429, headers: { 'retry-after': '1' } });
    const e429 = await system.get({ contactId: 'x' }).catch((e) => e);
    expect(e429).toBeInstanceOf(RateLimitedError);
    expect(e429.retryAfterMs).toBe(1000);
    emu.injectFault({ status: 503 });
    await expect(system.get({ contactId: 'x' })).rejects.toBeInstanceOf(TemporaryError);
    emu.injectFault({ reset: true });
    await expect(system.get({ contactId: 'x' })).rejects.toBeInstanceOf(TemporaryError);
    const bad = new TwentyContactSystem(new TwentyClient({ apiUrl: emu.url, apiKey: 'wrong' }));
    await expect(bad.get({ contactId: 'x' })).rejects.toBeInstanceOf(AuthError);
    await bad.close();
  });
});
