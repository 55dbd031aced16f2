import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deleteInteractions, ingestInteractions, mergePeople, refreshPeopleStats, splitPerson, unmerge, verifyStats } from '../../../src/people/index.js';
import { resolveParticipants } from '../../../src/people/resolve.service.js';
import { ENGINES, freshDb, type TestDb } from '../../support/test-env.js';
import { cached, dumpState, makePeople, makeRows, oracle } from '../../support/people/people-fixtures.js';

const self = { emails: ['me@example.com'], phones: [] };

describe.each(ENGINES)('counts stay exact on every write path (%s)', (engine) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await freshDb(engine);
  });
  afterEach(async () => {
    await t.dispose();
  });

  const expectExact = async () => {
    expect(await cached(t.db)).toEqual(await oracle(t.db));
    expect((await verifyStats(t.db)).discrepancies).toEqual([]);
  };

  it('ingest maintains counts by delta and re-ingest is a no-op', async () => {
    const people = await makePeople(t.db, 12);
    const rows = makeRows(people, 600);
    const r = await ingestInteractions(t.db, rows);
    expect(r).toMatchObject({ inserted: 600, duplicates: 0, rejected: [] });
    expect(new Set(r.affectedPeople)).toEqual(new Set(rows.map((x) => x.personId)));
    await expectExact();
    const again = await ingestInteractions(t.db, [...rows.slice(0, 100), ...makeRows(people, 50, 7, 'y')]);
    expect(again).toMatchObject({ inserted: 50, duplicates: 100 });
    await expectExact();
    const total = await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM interactions');
    expect(Number(total!.n)).toBe(650);
  });

  it('delete by id, by source, by prefix, by time and by person re-aggregates the affected people', async () => {
    const people = await makePeople(t.db, 8);
    await ingestInteractions(t.db, makeRows(people, 400));
    const ids = (await t.db.all<{ id: number }>('SELECT id FROM interactions ORDER BY id LIMIT 25')).map((r) => Number(r.id));
    expect((await deleteInteractions(t.db, { ids })).deleted).toBe(25);
    await expectExact();
    const bySource = await deleteInteractions(t.db, { source: 'gmail' });
    expect(bySource.deleted).toBeGreaterThan(0);
    expect(await t.db.get("SELECT 1 AS x FROM interactions WHERE source_type = 'gmail'")).toBeUndefined();
    await expectExact();
    expect((await deleteInteractions(t.db, { externalIdPrefix: 'x-1' })).deleted).toBeGreaterThan(0);
    expect(await t.db.get("SELECT 1 AS x FROM interactions WHERE external_id LIKE 'x-1%'")).toBeUndefined();
    await expectExact();
    const mid = Number((await t.db.get<{ m: number }>('SELECT AVG(occurred_at) AS m FROM interactions'))!.m);
    await deleteInteractions(t.db, { before: Math.round(mid), source: 'slack' });
    await expectExact();
    await deleteInteractions(t.db, { personId: people[0]! });
    await expectExact();
    const p0 = (await cached(t.db)).get(people[0]!)!;
    expect(p0).toMatchObject({ email_count: 0, message_count: 0, source_mask: 0, first_interaction_at: null, last_interaction_at: null });
    await expect(deleteInteractions(t.db, {})).rejects.toThrow(/give ids or at least one/);
  });

  it('merge, split and unmerge keep counts exact and unmerge restores the prior state exactly', async () => {
    const people = await makePeople(t.db, 5);
    await ingestInteractions(t.db, makeRows(people, 300));
    const before = await dumpState(t.db);
    const m = await mergePeople(t.db, people[0]!, [people[1]!, people[2]!]);
    expect(m.movedInteractions).toBeGreaterThan(0);
    await expectExact();
    const c = await cached(t.db);
    expect(c.get(people[1]!)!.email_count).toBe(0);
    const gone = await t.db.get<{ merged_into: string }>('SELECT merged_into FROM people WHERE id = ?', [people[1]!]);
    expect(gone!.merged_into).toBe(people[0]);
    // Ingest naming a merged-away person lands on the person who absorbed them.
    const late = await ingestInteractions(t.db, [{ personId: people[1]!, sourceType: 'sms', externalId: 'late-1', occurredAt: 1_800_000_000_000 }]);
    expect(late.affectedPeople).toEqual([people[0]]);
    await expectExact();
    await deleteInteractions(t.db, { ids: [Number((await t.db.get<{ id: number }>("SELECT id FROM interactions WHERE external_id = 'late-1'"))!.id)] });
    await expect(mergePeople(t.db, people[0]!, [people[1]!])).rejects.toThrow(/already merged/);
    await unmerge(t.db, m.auditId);
    expect(await dumpState(t.db)).toEqual(before);
    await expectExact();
    await expect(unmerge(t.db, m.auditId)).rejects.toThrow(/already undone/);
    const audit = await t.db.all<{ kind: string }>('SELECT kind FROM people_audit ORDER BY created_at, kind');
    expect(audit.map((a) => a.kind).sort()).toEqual(['merge', 'unmerge']);
  });

  it('split moves the chosen entities with their interactions; relinked counts stay exact', async () => {
    const ids = await t.db.tx((q) =>
      resolveParticipants(q, 'gmail', [{ email: '"Ada" <ADA@x.org>' }, { email: 'ada@work.example' }], self),
    );
    const [ada, work] = ids as string[];
    expect(ada).not.toBe(work);
    const m = await mergePeople(t.db, ada!, [work!]);
    expect(m.movedEntities).toBe(1);
    const rows = [
      ...[0, 1, 2].map((i) => ({ personId: ada!, sourceType: 'gmail' as const, externalId: `m${i}#email:ada@x.org`, occurredAt: 1000 + i, entityRef: 'email:ada@x.org' })),
      ...[0, 1].map((i) => ({ personId: ada!, sourceType: 'gmail' as const, externalId: `w${i}#email:ada@work.example`, occurredAt: 2000 + i, entityRef: 'email:ada@work.example' })),
    ];
    await ingestInteractions(t.db, rows);
    const s = await splitPerson(t.db, ada!, ['gmail:email:ada@work.example'], { name: 'Ada at work' });
    expect(s).toMatchObject({ movedInteractions: 2, movedEntities: 1 });
    const c = await cached(t.db);
    expect(c.get(ada!)!.email_count).toBe(3);
    expect(c.get(s.to)!).toMatchObject({ email_count: 2, first_interaction_at: 2000, last_interaction_at: 2001 });
    const moved = await t.db.get<{ emails: string; canonical_name: string }>('SELECT emails, canonical_name FROM people WHERE id = ?', [s.to]);
    expect(moved).toEqual({ emails: '["ada@work.example"]', canonical_name: 'Ada at work' });
    await expectExact();
    await expect(splitPerson(t.db, ada!, ['gmail:email:nobody@x.org'])).rejects.toThrow(/entity gmail:email:nobody@x.org not found/);
    await expect(splitPerson(t.db, ada!, ['gmail:email:ada@work.example'])).rejects.toThrow(/belongs to/);
  });

  it('verify reports every tampered field and --fix repairs exactly those people', async () => {
    const people = await makePeople(t.db, 4);
    await ingestInteractions(t.db, makeRows(people, 80));
    await t.db.run('UPDATE people SET email_count = email_count + 5, source_mask = 0 WHERE id = ?', [people[1]!]);
    await t.db.run('UPDATE people SET last_interaction_at = 1 WHERE id = ?', [people[2]!]);
    const v = await verifyStats(t.db);
    expect(v.checkedPeople).toBe(4);
    expect(v.discrepancies.map((d) => [d.personId, d.fields.map((f) => f.field).sort()])).toEqual(
      [
        [people[1], ['email_count', 'source_mask']],
        [people[2], ['last_interaction_at']],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    const f = v.discrepancies.find((d) => d.personId === people[1])!.fields.find((x) => x.field === 'email_count')!;
    expect(f.cached).toBe(f.computed! + 5);
    const fixed = await verifyStats(t.db, { fix: true });
    expect(fixed.fixed).toBe(2);
    await expectExact();
    expect(await refreshPeopleStats(t.db, [people[0]!])).toBe(1);
  });

  it('verify finds interactions whose person is missing and --fix re-creates that person, deleting nothing', async () => {
    const people = await makePeople(t.db, 2);
    await ingestInteractions(t.db, makeRows(people, 20));
    // A write that bypassed Kith's services (no foreign key stops it since migration 011).
    await t.db.run(`INSERT INTO interactions (person_id, source_type, external_id, occurred_at) VALUES ('p_gone', 'gmail', 'x1', 1000), ('p_gone', 'sms', 'x2', 2000)`);
    const v = await verifyStats(t.db);
    expect(v.discrepancies).toEqual([]);
    expect(v.orphans).toEqual([{ personId: 'p_gone', interactions: 2 }]);
    const fixed = await verifyStats(t.db, { fix: true });
    expect(fixed.fixed).toBe(1);
    const restored = await t.db.get<{ email_count: number; message_count: number; first_interaction_at: number }>(
      'SELECT email_count, message_count, first_interaction_at FROM people WHERE id = ?',
      ['p_gone'],
    );
    expect(restored).toMatchObject({ email_count: 1, message_count: 1, first_interaction_at: 1000 });
    expect(Number((await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM interactions'))!.n)).toBe(22);
    expect((await t.db.get<{ kind: string }>(`SELECT kind FROM people_audit WHERE kind = 'repair'`))?.kind).toBe('repair');
    const after = await verifyStats(t.db);
    expect(after.orphans).toEqual([]);
    await expectExact();
  });
});
