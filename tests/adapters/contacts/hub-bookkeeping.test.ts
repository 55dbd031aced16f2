import { afterEach, describe, expect, it } from 'vitest';
import { findLinkByExternalId, getLink, getLinks, recordLink } from '../../../src/hub/stores/contact-links.store.js';
import { listPending, markPending, markPropagated, pendingByTarget, recordPropagationError } from '../../../src/hub/stores/contact-outbox.store.js';
import { conflictSide, countOpenConflicts, getConflict, listConflicts, markConflictResolved, recordConflict } from '../../../src/hub/stores/sync-conflicts.store.js';
import { hashForSystem, hashSystemFields } from '../../../src/hub/domain/contact-content.js';
import { isEcho } from '../../../src/hub/domain/echo-detector.js';
import { InvalidInputError } from '../../../src/errors.js';
import { ENGINES, freshDb, type TestDb } from '../../support/test-env.js';
import { contact, ID1, ID2, systemCopy } from '../../support/contacts/contact-fixtures.js';

describe.each(ENGINES)('hub bookkeeping on %s', (engine) => {
  let t: TestDb;
  afterEach(async () => t?.dispose());

  it('links: record, update, look up by external id, refuse a second owner, suppress echoes', async () => {
    t = await freshDb(engine);
    const c = contact();
    const keys = ['canonical_name', 'emails', 'phones', 'company', 'job_title'] as const;
    await recordLink(t.db, { contactId: ID1, system: 'twenty', externalId: 'tw-1', hash: hashForSystem(c, keys), version: 3, at: 10 });
    await recordLink(t.db, { contactId: ID1, system: 'supabase', externalId: ID1, hash: null, version: null, at: 11 });
    expect((await getLinks(t.db, ID1)).map((l) => l.system)).toEqual(['supabase', 'twenty']);
    expect(await findLinkByExternalId(t.db, 'twenty', 'tw-1')).toMatchObject({ contactId: ID1, lastVersion: 3, lastSyncedAt: 10 });
    await expect(recordLink(t.db, { contactId: ID2, system: 'twenty', externalId: 'tw-1', hash: null, version: 1, at: 12 })).rejects.toBeInstanceOf(InvalidInputError);

    // The webhook for our own write carries the same content: an echo, however late.
    const link = await getLink(t.db, ID1, 'twenty');
    const echoed = systemCopy(c, 'twenty');
    const held = Object.fromEntries(keys.map((k) => [k, echoed.fields[k]]));
    expect(isEcho(hashSystemFields(held, echoed.deletedAt), link)).toBe(true);
    expect(isEcho(hashSystemFields({ ...held, company: 'Edited in Twenty' }, null), link)).toBe(false);

    await recordLink(t.db, { contactId: ID1, system: 'twenty', externalId: 'tw-1b', hash: 'h2', version: 4, at: 20 });
    expect(await getLink(t.db, ID1, 'twenty')).toMatchObject({ externalId: 'tw-1b', lastHash: 'h2', lastVersion: 4 });
    expect(await findLinkByExternalId(t.db, 'twenty', 'tw-1')).toBeUndefined();
  });

  it('conflicts: recorded once per pair of contents, listed, resolved once', async () => {
    t = await freshDb(engine);
    const canonical = contact();
    const theirs = systemCopy(contact({ job_title: 'Countess' }), 'twenty');
    const rec = { contactId: ID1, a: conflictSide(canonical), b: conflictSide(theirs), reason: 'same version and time', now: 100 };
    const first = await recordConflict(t.db, rec);
    expect(first.created).toBe(true);
    expect(await recordConflict(t.db, { ...rec, a: rec.b, b: rec.a, now: 200 })).toEqual({ id: first.id, created: false });
    expect(await countOpenConflicts(t.db)).toBe(1);
    const [listed] = await listConflicts(t.db);
    expect(listed).toMatchObject({ id: first.id, contactId: ID1, createdAt: 100, resolvedAt: null, a: { system: 'local', version: 3 }, b: { system: 'twenty', fields: { job_title: 'Countess' } } });
    expect(await markConflictResolved(t.db, first.id, { take: ['twenty'] }, 300)).toBe(true);
    expect(await markConflictResolved(t.db, first.id, { take: ['local'] }, 400)).toBe(false);
    expect(await getConflict(t.db, first.id)).toMatchObject({ resolvedAt: 300, resolution: { take: ['twenty'] } });
    expect(await listConflicts(t.db)).toEqual([]);
    expect(await listConflicts(t.db, { all: true, contactId: ID1 })).toHaveLength(1);
  });

  it('outbox: pending per target, oldest change time kept, closed only by a covering version', async () => {
    t = await freshDb(engine);
    await markPending(t.db, ID1, 4, ['supabase', 'twenty'], 1_000);
    await markPending(t.db, ID1, 5, ['supabase', 'twenty'], 2_000);
    await markPending(t.db, ID1, 4, ['twenty'], 3_000); // redelivered older version: ignored
    await markPending(t.db, ID2, 1, ['twenty'], 400_000);
    expect(await markPropagated(t.db, ID1, 'supabase', 4, 5_000)).toBe(false);
    expect(await markPropagated(t.db, ID1, 'supabase', 5, 5_000)).toBe(true);
    await recordPropagationError(t.db, ID1, 'twenty', 'HTTP 503');
    const old = await listPending(t.db, { now: 301_000, olderThanMs: 300_000 });
    expect(old).toEqual([{ contactId: ID1, target: 'twenty', version: 5, enqueuedAt: 1_000, attempts: 1, lastError: 'HTTP 503' }]);
    expect(await pendingByTarget(t.db)).toEqual({ twenty: { pending: 2, oldestEnqueuedAt: 1_000 } });
    await markPending(t.db, ID1, 6, ['supabase'], 9_000);
    expect(await listPending(t.db, { target: 'supabase' })).toMatchObject([{ version: 6, enqueuedAt: 9_000, attempts: 0 }]);
    // The pending index holds only pending rows (migration 13): confirmations remove entries, they do not move them.
    const def = engine === 'sqlite'
      ? (await t.db.get<{ sql: string }>(`SELECT sql FROM sqlite_master WHERE name = 'contact_outbox_pending'`))!.sql
      : (await t.db.get<{ sql: string }>(`SELECT indexdef AS sql FROM pg_indexes WHERE indexname = 'contact_outbox_pending'`))!.sql;
    expect(def).toMatch(/\(enqueued_at\)\s+WHERE \(?done_at IS NULL\)?/);
  });
});
