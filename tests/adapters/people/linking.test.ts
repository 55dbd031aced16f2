import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IngestRejectedError, ingestInteractions, linkEntities, listReviews, resolveParticipants, splitPerson, upsertContactPerson, verifyStats } from '../../../src/people/index.js';
import { ENGINES, freshDb, type TestDb } from '../../support/test-env.js';
import { cached, makePeople, oracle } from '../../support/people/people-fixtures.js';

const self = { emails: ['me@example.com'], phones: ['+15550001111'] };
const contact = (externalId: string, rest: { name?: string; emails?: string[]; phones?: string[]; company?: string; jobTitle?: string }) => ({
  kind: 'contact' as const,
  sourceType: 'vcard' as const,
  externalId,
  emails: [],
  phones: [],
  ...rest,
});

describe.each(ENGINES)('identity linking and bad input (%s)', (engine) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await freshDb(engine);
  });
  afterEach(async () => {
    await t.dispose();
  });
  const resolve = (source: string, refs: Parameters<typeof resolveParticipants>[2]) => t.db.tx((q) => resolveParticipants(q, source, refs, self));
  const personCount = async () => Number((await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM people WHERE merged_into IS NULL'))!.n);

  it('links on exact normalised keys across sources and returns null for self', async () => {
    const [a, me, b] = await resolve('gmail', [{ email: '"Ada L" <ADA@x.org>' }, { email: 'me@example.com' }, { email: 'bob@y.com' }]);
    expect(me).toBeNull();
    const [a2] = await resolve('calendar', [{ email: ' ada@X.ORG ' }]);
    expect(a2).toBe(a);
    expect(b).not.toBe(a);
    const ada = await t.db.get<{ canonical_name: string; emails: string }>('SELECT canonical_name, emails FROM people WHERE id = ?', [a!]);
    expect(ada).toEqual({ canonical_name: 'Ada L', emails: '["ada@x.org"]' });
    const [p1] = await resolve('sms', [{ phone: '(555) 222-3333' }]);
    const [p2] = await resolve('imessage', [{ phone: '+1 555 222 3333' }]);
    expect(p2).toBe(p1);
    expect(await personCount()).toBe(3);
  });

  it('a name-only participant links only when exactly one person has that exact name', async () => {
    const [ada] = await resolve('gmail', [{ email: 'ada@x.org', name: 'Ada Lovelace' }]);
    const [noted] = await resolve('vault', [{ name: '  ada   lovelace' }]);
    expect(noted).toBe(ada);
    await resolve('gmail', [{ email: 'bob1@x.org', name: 'Bob' }, { email: 'bob2@x.org', name: 'Bob' }]);
    const [bob] = await resolve('vault', [{ name: 'Bob' }]);
    expect(await personCount()).toBe(4);
    expect((await t.db.get<{ emails: string }>('SELECT emails FROM people WHERE id = ?', [bob!]))!.emails).toBe('[]');
  });

  it('a contact matching two different people is listed for review, not merged; contacts enrich', async () => {
    const [ada] = await resolve('gmail', [{ email: 'ada@x.org' }]);
    const [phone] = await resolve('sms', [{ phone: '+15552223333' }]);
    const linked = await t.db.tx((q) => upsertContactPerson(q, contact('c1', { name: 'Ada Lovelace', emails: ['ADA@x.org'], phones: ['555-222-3333'], company: 'Engines Ltd', jobTitle: 'Analyst' }), self));
    expect(linked).toBe(ada);
    expect(await personCount()).toBe(2);
    const reviews = await listReviews(t.db);
    expect(reviews).toHaveLength(1);
    expect(reviews[0]!.entity).toBe('vcard:c1');
    expect(reviews[0]!.candidates.map((c) => c.id).sort()).toEqual([ada, phone].sort());
    const p = await t.db.get<Record<string, unknown>>('SELECT canonical_name, company, job_title, emails, phones FROM people WHERE id = ?', [ada!]);
    expect(p).toEqual({ canonical_name: 'Ada Lovelace', company: 'Engines Ltd', job_title: 'Analyst', emails: '["ada@x.org"]', phones: '["+15552223333"]' });
    // Phase 2 does not merge through an entity awaiting review.
    expect(await linkEntities(t.db, self)).toMatchObject({ relinked: 0 });
    expect(await personCount()).toBe(2);
    expect(await t.db.tx((q) => upsertContactPerson(q, contact('me', { emails: ['me@example.com'] }), self))).toBeNull();
  });

  it('phase 2 relinks an entity that gained a key shared with exactly one other person, counts follow', async () => {
    const [slackOnly] = await resolve('slack', [{ handle: 'U1', name: 'Ada' }]);
    const [ada] = await resolve('gmail', [{ email: 'ada@x.org' }]);
    expect(slackOnly).not.toBe(ada);
    await ingestInteractions(t.db, [
      { personId: slackOnly!, sourceType: 'slack', externalId: 'm1#handle:slack:U1', occurredAt: 5, entityRef: 'handle:slack:U1' },
      { personId: ada!, sourceType: 'gmail', externalId: 'e1#email:ada@x.org', occurredAt: 7, entityRef: 'email:ada@x.org' },
    ]);
    // users.json later reveals U1's e-mail: the existing entity is enriched…
    expect(await resolve('slack', [{ handle: 'U1', email: 'ada@x.org' }])).toEqual([slackOnly]);
    // …and phase 2 moves it (with its interaction) to the person who owns that address.
    expect(await linkEntities(t.db, self)).toEqual({ relinked: 1, reviews: 0, tombstoned: 1 });
    const c = await cached(t.db);
    expect(c.get(ada!)).toMatchObject({ email_count: 1, message_count: 1, first_interaction_at: 5 });
    expect(c).toEqual(await oracle(t.db));
    expect((await t.db.get<{ merged_into: string }>('SELECT merged_into FROM people WHERE id = ?', [slackOnly!]))!.merged_into).toBe(ada);
    expect(await linkEntities(t.db, self)).toEqual({ relinked: 0, reviews: 0, tombstoned: 0 });
    expect((await verifyStats(t.db)).discrepancies).toEqual([]);
  });

  it('split finds the interactions of an entity recorded under its export type (mbox → gmail)', async () => {
    const [ada] = await resolve('mbox', [{ email: 'ada@x.org' }]);
    const [ada2] = await resolve('ics', [{ email: 'ada@x.org' }]);
    expect(ada2).toBe(ada);
    await ingestInteractions(t.db, [
      { personId: ada!, sourceType: 'gmail', externalId: 'm1#email:ada@x.org', occurredAt: 1, entityRef: 'email:ada@x.org' },
      { personId: ada!, sourceType: 'calendar', externalId: 'e1#email:ada@x.org', occurredAt: 2, entityRef: 'email:ada@x.org' },
    ]);
    const s = await splitPerson(t.db, ada!, ['mbox:email:ada@x.org']);
    expect(s.movedInteractions).toBe(1);
    const c = await cached(t.db);
    expect([c.get(ada!)!.meeting_count, c.get(ada!)!.email_count, c.get(s.to)!.email_count]).toEqual([1, 0, 1]);
  });

  it('rejects unknown person, unknown source type and invalid timestamp naming field and row; nothing half-applied', async () => {
    const [p] = await makePeople(t.db, 1);
    const good = { personId: p!, sourceType: 'gmail' as const, externalId: 'g1', occurredAt: 1000 };
    const batch = [
      good,
      { personId: 'p_nobody', sourceType: 'gmail' as const, externalId: 'g2', occurredAt: 1000 },
      { ...good, externalId: 'g3', sourceType: 'telegram' as never },
      { ...good, externalId: 'g4', occurredAt: Number.POSITIVE_INFINITY },
    ];
    const err = await ingestInteractions(t.db, batch).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IngestRejectedError);
    expect((err as IngestRejectedError).problems.map((x) => [x.index, x.field])).toEqual([
      [1, 'personId'],
      [2, 'sourceType'],
      [3, 'occurredAt'],
    ]);
    expect((err as Error).message).toMatch(/row 1: personId unknown person "p_nobody"/);
    expect(await t.db.get('SELECT id FROM interactions')).toBeUndefined();
    expect((await cached(t.db)).get(p!)!.email_count).toBe(0);
    const skip = await ingestInteractions(t.db, batch, { mode: 'skip-invalid' });
    expect(skip.inserted).toBe(1);
    expect(skip.rejected.map((x) => x.field)).toEqual(['personId', 'sourceType', 'occurredAt']);
    expect((await cached(t.db)).get(p!)!.email_count).toBe(1);
    await expect(resolve('gmail', [{}])).rejects.toThrow(/participants\[0\]/);
  });
});
