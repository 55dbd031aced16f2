import { afterEach, describe, expect, it } from 'vitest';
import { VersionConflictError } from '../../../src/hub/ports/canonical-store.js';
import { hashContact } from '../../../src/hub/domain/contact-content.js';
import { CursorInvalidError, InvalidInputError } from '../../../src/errors.js';
import { getLink, recordLink } from '../../../src/hub/stores/contact-links.store.js';
import type { Queryable } from '../../../src/db/db.js';
import { LocalCanonicalStore } from '../../../src/systems/local/local-canonical.store.js';
import { LocalContactSystem } from '../../../src/systems/local/local-contact-system.js';
import { ENGINES, freshDb, type TestDb } from '../../support/test-env.js';
import { contact, ID1, ID2, ID3 } from '../../support/contacts/contact-fixtures.js';

const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

describe.each(ENGINES)('local contacts on %s', (engine) => {
  let t: TestDb;
  afterEach(async () => t?.dispose());

  it('canonical store: created, unchanged (no write), updated, stale, compare-and-set', async () => {
    t = await freshDb(engine);
    const store = new LocalCanonicalStore(t.db);
    const c = contact({ sync_metadata: { last_updated: '2026-01-10T10:00:00Z' } });
    expect(await store.put(c)).toEqual({ contactId: ID1, action: 'created', version: 3 });
    const back = await store.get(ID1);
    expect(back).toEqual({ ...c, sync_metadata: { ...c.sync_metadata, last_updated: '2026-01-10T10:00:00.000Z' } });
    const seq = await t.db.get<{ change_seq: number }>('SELECT change_seq FROM contacts');
    expect(await store.put(c)).toMatchObject({ action: 'unchanged' });
    expect(await t.db.get('SELECT change_seq FROM contacts')).toEqual(seq);

    const v4 = contact({ company: 'New', sync_metadata: { version: 4 } });
    expect(await store.put(v4)).toMatchObject({ action: 'updated', version: 4 });
    expect(await store.put(contact({ company: 'Old', sync_metadata: { version: 2 } }))).toMatchObject({ action: 'stale', version: 4 });
    expect((await store.get(ID1))!.company).toBe('New');

    const v5 = contact({ company: 'CAS', sync_metadata: { version: 5 } });
    await expect(store.put(v5, 3)).rejects.toBeInstanceOf(VersionConflictError);
    expect((await store.get(ID1))!.company).toBe('New');
    expect(await store.put(v5, 4)).toMatchObject({ action: 'updated', version: 5 });
    await expect(store.put(contact({ contact_id: ID2 }), 1)).rejects.toThrow(`contact ${ID2}: expected version 1, found 0`);
    expect(await store.put(contact({ contact_id: ID2 }), 0)).toMatchObject({ action: 'created' });

    const row = await t.db.get<{ content_hash: string }>('SELECT content_hash FROM contacts WHERE contact_id = ?', [ID1]);
    expect(row!.content_hash).toBe(hashContact((await store.get(ID1))!));
  });

  it('keeps every canonical version with its changes and origin, in the write\'s transaction; a replay adds none', async () => {
    t = await freshDb(engine);
    const store = new LocalCanonicalStore(t.db, () => Date.UTC(2026, 0, 12));
    await store.put(contact({ sync_metadata: { last_updated_by: 'twenty' } }), 0, { origin: 'webhook' });
    await store.put(contact({ sync_metadata: { last_updated_by: 'twenty' } }), undefined, { origin: 'webhook' });
    const v4 = contact({ company: 'Royal Society', notes: 'met at a salon', sync_metadata: { version: 4, last_updated: '2026-01-11T09:00:00Z', last_updated_by: 'local' } });
    await store.putWith(v4, 3, async () => undefined, { origin: 'local-edit' });
    await store.put(v4, undefined, { origin: 'local-edit' });
    // A stale delivery and a lost compare-and-set add nothing either.
    await store.put(contact({ company: 'Old', sync_metadata: { version: 2 } }), undefined, { origin: 'sweep' });
    await expect(store.putWith(contact({ company: 'Lost', sync_metadata: { version: 5 } }), 3, async () => undefined, { origin: 'sweep' })).rejects.toBeInstanceOf(VersionConflictError);
    await expect(store.putWith(contact({ company: 'Half', sync_metadata: { version: 5 } }), 4, async () => { throw new Error('outbox write failed'); })).rejects.toThrow('outbox write failed');
    await store.put(contact({ ...v4, deleted_at: '2026-01-12T00:00:00Z', sync_metadata: { version: 5, last_updated: '2026-01-12T00:00:00Z', last_updated_by: 'kith' } }), 4, { origin: 'promotion' });

    const h = await store.history(ID1);
    expect(h.map((v) => [v.version, v.system, v.origin, v.changed, v.deleted])).toEqual([
      [5, 'kith', 'promotion', ['deleted_at'], true],
      [4, 'local', 'local-edit', ['company', 'notes'], false],
      [3, 'twenty', 'webhook', ['canonical_name', 'first_name', 'last_name', 'emails', 'phones', 'company', 'job_title', 'category_code', 'subcategory_code'], false],
    ]);
    expect(h[1]).toMatchObject({ contactId: ID1, at: '2026-01-11T09:00:00.000Z', recordedAt: '2026-01-12T00:00:00.000Z', record: { company: 'Royal Society', notes: 'met at a salon', deleted_at: null } });
    expect(h[0]!.record.deleted_at).toBe('2026-01-12T00:00:00.000Z');
    expect(await store.history(ID1, 1)).toHaveLength(1);
    expect(await store.history(ID2)).toEqual([]);
    // The local database as a target (BigQuery canonical) keeps no history of its own.
    await new LocalContactSystem(t.db).upsertMany([contact({ contact_id: ID2 })]);
    expect(await store.history(ID2)).toEqual([]);
  });

  it('stores LinkedIn, tags and the last contact; a record without them hashes as before they existed', async () => {
    t = await freshDb(engine);
    const store = new LocalCanonicalStore(t.db);
    const c = contact({ linkedin_url: 'https://www.linkedin.com/in/ada', tags: ['vip', 'board'], last_contacted: '2026-02-03' });
    await store.put(c);
    expect(await store.get(ID1)).toMatchObject({ linkedin_url: 'https://www.linkedin.com/in/ada', tags: ['vip', 'board'], last_contacted: '2026-02-03' });
    expect((await store.put(c)).action).toBe('unchanged');
    const plain = contact({ contact_id: ID2 });
    await store.put(plain);
    const back = (await store.get(ID2))!;
    expect(back).not.toHaveProperty('tags');
    expect(hashContact(back)).toBe(hashContact({ ...plain, tags: [], linkedin_url: null, last_contacted: null }));
    await expect(store.put({ ...contact({ contact_id: ID3 }), last_contacted: '3 Feb' })).rejects.toThrow(/^last_contacted: must be a date YYYY-MM-DD/);
  });

  it('putWith commits the record and the caller\'s writes together, or neither', async () => {
    t = await freshDb(engine);
    const store = new LocalCanonicalStore(t.db);
    const link = (version: number) => async (q: Queryable) => recordLink(q, { contactId: ID1, system: 'twenty', externalId: 'tw-1', hash: `h${version}`, version, at: 1 });
    expect(await store.putWith(contact(), 0, link(3))).toMatchObject({ action: 'created', version: 3 });
    expect(await getLink(t.db, ID1, 'twenty')).toMatchObject({ lastHash: 'h3', lastVersion: 3 });
    // A lost compare-and-set writes neither the record nor the link.
    await expect(store.putWith(contact({ company: 'Lost', sync_metadata: { version: 4 } }), 2, link(4))).rejects.toBeInstanceOf(VersionConflictError);
    expect((await store.get(ID1))!.company).not.toBe('Lost');
    expect(await getLink(t.db, ID1, 'twenty')).toMatchObject({ lastHash: 'h3', lastVersion: 3 });
    // A failing `also` takes the record back with it.
    await expect(store.putWith(contact({ company: 'Half', sync_metadata: { version: 4 } }), 3, async () => { throw new Error('link write failed'); })).rejects.toThrow('link write failed');
    expect((await store.get(ID1))!.sync_metadata.version).toBe(3);
  });

  it('rewrites the email index only when a contact\'s addresses change', async () => {
    t = await freshDb(engine);
    const store = new LocalCanonicalStore(t.db);
    await store.put(contact({ emails: ['ada@example.org'] }));
    // A marker row that any rewrite of this contact's index rows would delete.
    await t.db.run('INSERT INTO contact_emails (email, contact_id) VALUES (?, ?)', ['marker@example.org', ID1]);
    await store.put(contact({ emails: ['ada@example.org'], company: 'Elsewhere', sync_metadata: { version: 4 } }));
    expect((await store.findByEmail('marker@example.org')).map((c) => c.contact_id)).toEqual([ID1]);
    expect((await store.findByEmail('ada@example.org')).map((c) => c.company)).toEqual(['Elsewhere']);
    await store.put(contact({ emails: ['ada@new.example.org'], sync_metadata: { version: 5 } }));
    expect(await store.findByEmail('marker@example.org')).toEqual([]);
    expect(await store.findByEmail('ada@example.org')).toEqual([]);
    expect((await store.findByEmail('ada@new.example.org')).map((c) => c.contact_id)).toEqual([ID1]);
  });

  it('findByEmail compares normalised addresses and follows edits', async () => {
    t = await freshDb(engine);
    const store = new LocalCanonicalStore(t.db);
    await store.put(contact({ emails: ['Ada@Example.org'] }));
    await store.put(contact({ contact_id: ID2, canonical_name: 'Twin', emails: ['ada@example.org', 'twin@example.org'] }));
    expect((await store.findByEmail(' ADA@example.ORG ')).map((c) => c.contact_id)).toEqual([ID1, ID2]);
    await store.put(contact({ contact_id: ID2, canonical_name: 'Twin', emails: ['twin@example.org'], sync_metadata: { version: 4 } }));
    expect((await store.findByEmail('ada@example.org')).map((c) => c.contact_id)).toEqual([ID1]);
    expect(await store.findByEmail('not an address')).toEqual([]);
  });

  it('listSince pages in change order and never repeats or skips', async () => {
    t = await freshDb(engine);
    const store = new LocalCanonicalStore(t.db);
    await Promise.all(Array.from({ length: 25 }, (_, i) => store.put(contact({ contact_id: uuid(i), canonical_name: `P${i}` }))));
    await store.put(contact({ contact_id: uuid(3), canonical_name: 'P3 again', sync_metadata: { version: 4 } }));
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await store.listSince(cursor, 7);
      seen.push(...page.contacts.map((c) => c.canonical_name));
      cursor = page.cursor;
      if (page.done) break;
    }
    expect(seen).toHaveLength(25);
    expect(seen.at(-1)).toBe('P3 again');
    expect(new Set(seen).size).toBe(25);
    const again = await store.listSince(cursor, 7);
    expect(again).toEqual({ contacts: [], cursor, done: true });
    await expect(store.listSince('abc', 5)).rejects.toBeInstanceOf(CursorInvalidError);
    await expect(store.listSince('999999', 5)).rejects.toThrow(/beyond the last local contact change/);
  });

  it('contact system: idempotent upsertMany, listChanged, softDelete, local edits', async () => {
    t = await freshDb(engine);
    let now = 1_000;
    const sys = new LocalContactSystem(t.db, () => now);
    const a = contact();
    const b = contact({ contact_id: ID2, canonical_name: 'Bob' });
    expect((await sys.upsertMany([a, b])).map((o) => o.action)).toEqual(['created', 'created']);
    expect(await sys.upsertMany([a, b])).toEqual([
      { contactId: ID1, externalId: ID1, action: 'unchanged' },
      { contactId: ID2, externalId: ID2, action: 'unchanged' },
    ]);
    const first = await sys.listChanged(undefined, 10);
    expect(first.contacts.map((c) => [c.contactId, c.version])).toEqual([[ID1, 3], [ID2, 3]]);
    expect(first.done).toBe(true);

    now = 2_000;
    await sys.softDelete([{ contactId: ID2 }], '2026-01-20T00:00:00Z');
    await sys.softDelete([{ contactId: ID2 }], '2026-01-21T00:00:00Z');
    const del = await sys.listChanged(first.cursor, 10);
    expect(del.contacts).toHaveLength(1);
    expect(del.contacts[0]).toMatchObject({ contactId: ID2, deletedAt: '2026-01-20T00:00:00.000Z', version: 3 });

    now = Date.parse('2026-01-22T00:00:00Z');
    const edited = await sys.applyLocalEdit(ID1, { job_title: 'Countess' });
    expect(edited.sync_metadata).toEqual({ version: 4, last_updated: '2026-01-22T00:00:00.000Z', last_updated_by: 'local' });
    const got = await sys.get({ externalId: ID1 });
    expect(got).toMatchObject({ system: 'local', contactId: ID1, updatedBy: 'local', version: 4, fields: { job_title: 'Countess' } });
    // A late push of the older canonical version does not roll the edit back.
    expect((await sys.upsertMany([a]))[0]!.action).toBe('unchanged');
    expect((await sys.get({ contactId: ID1 }))!.fields.job_title).toBe('Countess');
  });

  it('a batch with one invalid record writes nothing and names the field', async () => {
    t = await freshDb(engine);
    const sys = new LocalContactSystem(t.db);
    const bad = { ...contact({ contact_id: ID3 }), category_code: 'Q' } as unknown as ReturnType<typeof contact>;
    const err = await sys.upsertMany([contact(), bad]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(/^category_code: .*contact 33333333/);
    expect(await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM contacts')).toEqual({ n: 0 });
  });

  it('concurrent compare-and-set: exactly one writer wins each version', async () => {
    t = await freshDb(engine);
    const store = new LocalCanonicalStore(t.db);
    await store.put(contact());
    const tries = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => store.put(contact({ company: `Writer ${i}`, sync_metadata: { version: 4 } }), 3)),
    );
    expect(tries.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(tries.filter((r) => r.status === 'rejected' && r.reason instanceof VersionConflictError)).toHaveLength(7);
    const winner = (tries.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<unknown>).value;
    expect(winner).toMatchObject({ action: 'updated', version: 4 });
  });
});
