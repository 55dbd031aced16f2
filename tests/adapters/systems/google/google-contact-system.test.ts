import { OAuth2Client } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GoogleContactSystem } from '../../../../src/systems/google/contacts/google-contact-system.js';
import { PeopleClient } from '../../../../src/systems/google/contacts/people-client.js';
import { RequestLimiter } from '../../../../src/systems/limits/request-limiter.js';
import { linkHashFor, linkHashOf } from '../../../../src/hub/domain/link-hash.js';
import { type PeopleEmulator, startPeopleEmulator } from '../../../emulators/google/people/people-emulator.js';
import { contact, ID1, ID2, ID3 } from '../../../support/contacts/contact-fixtures.js';

describe('GoogleContactSystem through the People SDK against the emulator', () => {
  let em: PeopleEmulator;
  let sys: GoogleContactSystem;
  const resets: string[] = [];
  const system = () => {
    const auth = new OAuth2Client();
    auth.setCredentials({ access_token: em.token });
    const limiter = () => new RequestLimiter({ limit: 10_000, windowMs: 60_000 });
    return new GoogleContactSystem(new PeopleClient({ baseUrl: em.url, auth, reads: limiter(), writes: limiter() }), { onCursorReset: (r) => resets.push(r) });
  };
  beforeAll(async () => {
    em = await startPeopleEmulator();
    sys = system();
  });
  afterAll(async () => {
    await em.close();
  });

  it('creates once however often the upsert is repeated, and reads back what view() promised', async () => {
    const c = contact({ contact_id: ID1, canonical_name: 'Ada Lovelace', first_name: 'Ada', last_name: 'Lovelace', emails: ['ada@example.org'], phones: ['+44 20 7946 0018'], company: 'Engines', job_title: 'Analyst', notes: 'not Google’s' });
    const [first] = await sys.upsertMany([c]);
    expect(first).toMatchObject({ contactId: ID1, action: 'created', externalId: expect.stringMatching(/^people\/c\d+$/) });
    // A retried create (no link known, another process) finds the contact by the Kith id in its clientData.
    expect((await system().upsertMany([c]))[0]).toEqual({ contactId: ID1, externalId: first!.externalId, action: 'unchanged' });
    expect(em.contacts()).toHaveLength(1);
    const copy = (await sys.get({ contactId: ID1 }))!;
    expect(copy).toMatchObject({ system: 'google', contactId: ID1, externalId: first!.externalId, deletedAt: null });
    expect(copy.fields).toEqual(sys.view(c));
    expect(copy.fields).not.toHaveProperty('notes');
    expect(linkHashOf(copy)).toBe(linkHashFor(sys, c));
  });

  it('updates with the etag it read; a stale etag (edited in Google meanwhile) keeps Google’s edit and writes Kith’s fields', async () => {
    const c = contact({ contact_id: ID2, canonical_name: 'Bob Byte', emails: ['bob@example.org'], phones: ['+1 555 0100'], company: 'Old Co' });
    const [made] = await sys.upsertMany([c]);
    const links = new Map([[ID2, made!.externalId]]);
    // The hub reads the copy before writing (its guard) ...
    expect((await sys.get({ externalId: made!.externalId }))!.fields.phones).toEqual(['+1 555 0100']);
    // ... and the person edits the phone in Google before Kith's write arrives.
    em.edit(made!.externalId, { phoneNumbers: [{ value: '+1 555 0199' }] });
    const stale = em.stats.staleEtags;
    expect((await sys.upsertMany([{ ...c, company: 'New Co', sync_metadata: { ...c.sync_metadata, version: 2 } }], links))[0]!.action).toBe('updated');
    expect(em.stats.staleEtags - stale).toBe(1);
    const now = (await sys.get({ externalId: made!.externalId }))!;
    expect(now.fields).toMatchObject({ company: 'New Co', phones: ['+1 555 0199'], emails: ['bob@example.org'] });
  });

  it('deletes as Google does (to its trash), idempotently; a deleted contact is not found', async () => {
    const c = contact({ contact_id: ID3, canonical_name: 'Cy Cole', emails: ['cy@example.org'] });
    const [made] = await sys.upsertMany([c]);
    const links = new Map([[ID3, made!.externalId]]);
    expect((await sys.upsertMany([{ ...c, deleted_at: '2026-02-01T00:00:00.000Z' }], links))[0]!.action).toBe('updated');
    expect(em.person(made!.externalId)).toBeUndefined();
    await sys.softDelete([{ contactId: ID3, externalId: made!.externalId }], '2026-02-01T00:00:00.000Z');
    expect(await sys.get({ externalId: made!.externalId })).toBeUndefined();
    expect((await sys.upsertMany([{ ...c, deleted_at: '2026-02-01T00:00:00.000Z' }], links))[0]!.action).toBe('unchanged');
  });

  it('lists changes by sync token: edits, new and deleted contacts; an expired token reads everything again', async () => {
    const all = await sys.listChanged(undefined, 1);
    expect(all.done).toBe(false);
    const rest = await sys.listChanged(all.cursor, 1);
    expect(rest.done).toBe(true);
    expect([...all.contacts, ...rest.contacts].map((c) => c.contactId).sort()).toEqual([ID1, ID2].sort());
    expect(await sys.listChanged(rest.cursor, 100)).toMatchObject({ contacts: [], done: true });

    const [grace] = em.add({ names: [{ displayName: 'Grace Hopper' }], emailAddresses: [{ value: 'grace@example.org' }] });
    const ada = (await sys.get({ contactId: ID1 }))!;
    em.remove(ada.externalId);
    const changes = await sys.listChanged(rest.cursor, 100);
    expect(changes.contacts.map((c) => [c.externalId, c.deletedAt === null])).toEqual([
      [grace, true],
      [ada.externalId, false],
    ]);
    expect(changes.contacts[0]).toMatchObject({ fields: { canonical_name: 'Grace Hopper', emails: ['grace@example.org'] } });
    expect(changes.contacts[0]!.contactId).toBeUndefined();

    em.expireSyncTokens();
    const again = await sys.listChanged(changes.cursor, 100);
    expect(resets.at(-1)).toMatch(/EXPIRED_SYNC_TOKEN/);
    expect(again.contacts.map((c) => c.externalId).sort()).toEqual(em.contacts().map((p) => String(p.resourceName)).sort());
  });
});
