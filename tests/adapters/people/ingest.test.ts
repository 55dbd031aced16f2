import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InteractionInput } from '../../../src/domain/people/interaction.js';
import { IngestRejectedError, ingestInteractions, ingestInteractionsIn, verifyStats } from '../../../src/people/index.js';
import { cached, makePeople, makeRows, oracle } from '../../support/people/people-fixtures.js';
import { ENGINES, freshDb, type TestDb } from '../../support/test-env.js';

/** Every value COPY's text format gives a meaning to, inside otherwise ordinary text. */
const AWKWARD = ['tab\there', 'line\nbreak', 'carriage\rreturn', 'back\\slash', '\\N', '\\.', 'trailing\\', 'ends with tab\t', '', 'naïve — 東京 🚀', 'a\\tb\\nc'];

describe.each(ENGINES)('batched ingest (%s)', (engine) => {
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

  it('re-ingesting a batch adds nothing and leaves every count unchanged', async () => {
    const people = await makePeople(t.db, 15);
    const rows = makeRows(people, 2500);
    const first = await ingestInteractions(t.db, rows);
    expect(first).toMatchObject({ inserted: 2500, duplicates: 0 });
    const before = await cached(t.db);
    const again = await ingestInteractions(t.db, rows);
    expect(again).toMatchObject({ inserted: 0, duplicates: 2500, affectedPeople: [] });
    expect(await cached(t.db)).toEqual(before);
    expect((await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM interactions'))!.n).toBe(2500);
    await expectExact();
  });

  it('a batch mixing new rows, already stored rows and repeats of its own keys counts only what it inserted', async () => {
    const people = await makePeople(t.db, 6);
    const old = makeRows(people, 300, 3, 'old');
    await ingestInteractions(t.db, old);
    const fresh = makeRows(people, 200, 5, 'new');
    // A repeated key inside the batch is one interaction, the first occurrence (here the repeat, the batch is reversed).
    const repeats = fresh.slice(0, 40).map((r) => ({ ...r, personId: people[0]!, occurredAt: 1 }));
    const mixed = [...old.slice(100, 250), ...fresh, ...repeats].reverse();
    const r = await ingestInteractions(t.db, mixed);
    expect(r.inserted).toBe(200);
    expect(r.duplicates).toBe(150 + 40);
    expect(new Set(r.affectedPeople)).toEqual(new Set(fresh.map((x) => x.personId)));
    expect((await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM interactions'))!.n).toBe(500);
    const firsts = await t.db.all<{ person_id: string; occurred_at: number }>("SELECT person_id, occurred_at FROM interactions WHERE external_id IN ('new-0', 'new-1', 'new-39')");
    expect(firsts).toEqual(Array(3).fill({ person_id: people[0], occurred_at: 1 }));
    await expectExact();
  });

  it('two batches in one transaction both land, counted once each', async () => {
    const people = await makePeople(t.db, 4);
    const a = makeRows(people, 120, 7, 'a');
    const b = makeRows(people, 80, 9, 'b');
    const got = await t.db.tx(async (q) => [(await ingestInteractionsIn(q, a)).inserted, (await ingestInteractionsIn(q, [...b, ...a.slice(0, 10)])).inserted]);
    expect(got).toEqual([120, 80]);
    await expectExact();
  });

  it('stores tabs, newlines, carriage returns and backslashes exactly as given, and null as null', async () => {
    const [p] = await makePeople(t.db, 1);
    const rows: InteractionInput[] = AWKWARD.map((v, i) => ({
      personId: p!,
      sourceType: 'slack',
      externalId: `awk-${i}-${v}`,
      occurredAt: 1_700_000_000_000 + i,
      title: v,
      snippet: v,
      conversationKey: i % 2 ? v : null,
      entityRef: i % 2 ? null : v,
    }));
    expect((await ingestInteractions(t.db, rows)).inserted).toBe(AWKWARD.length);
    const stored = await t.db.all<{ external_id: string; title: string; snippet: string | null; conversation_key: string | null; entity_ref: string | null }>(
      'SELECT external_id, title, snippet, conversation_key, entity_ref FROM interactions ORDER BY occurred_at',
    );
    expect(stored).toEqual(rows.map((r) => ({ external_id: r.externalId, title: r.title, snippet: r.snippet, conversation_key: r.conversationKey, entity_ref: r.entityRef })));
    // The escaped keys are the keys: the same batch again is all duplicates.
    expect((await ingestInteractions(t.db, rows)).inserted).toBe(0);
    await expectExact();
  });

  it('a row with a NUL character is refused on PostgreSQL naming its row and field, and stored as given on SQLite', async () => {
    const [p] = await makePeople(t.db, 1);
    const rows: InteractionInput[] = [
      { personId: p!, sourceType: 'gmail', externalId: 'ok-1', occurredAt: 1_700_000_000_000, title: 'fine' },
      { personId: p!, sourceType: 'gmail', externalId: 'nul-1', occurredAt: 1_700_000_000_001, title: 'before\0after' },
    ];
    if (engine === 'sqlite') {
      expect((await ingestInteractions(t.db, rows)).inserted).toBe(2);
      expect((await t.db.get<{ title: string }>("SELECT title FROM interactions WHERE external_id = 'nul-1'"))!.title).toBe('before\0after');
      await expectExact();
      return;
    }
    const err = await ingestInteractions(t.db, rows).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IngestRejectedError);
    expect((err as Error).message).toMatch(/row 1: title contains a NUL character \(U\+0000\), which PostgreSQL text cannot store/);
    expect((await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM interactions'))!.n).toBe(0);
    const skip = await ingestInteractions(t.db, rows, { mode: 'skip-invalid' });
    expect(skip.inserted).toBe(1);
    expect(skip.rejected).toEqual([{ index: 1, field: 'title', message: 'contains a NUL character (U+0000), which PostgreSQL text cannot store' }]);
    await expectExact();
  });
});

describe('batched ingest on PostgreSQL while another transaction writes the same keys', () => {
  let t: TestDb;
  beforeEach(async () => {
    t = await freshDb('postgres');
  });
  afterEach(async () => {
    await t.dispose();
  });

  it('a batch that meets keys another transaction commits while it is inserting keeps only its new rows and counts only them', async () => {
    const [a, b] = await makePeople(t.db, 2);
    const shared = makeRows([a!], 300, 3, 'shared');
    const own = makeRows([b!], 200, 5, 'own');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let holding!: () => void;
    const held = new Promise<void>((r) => (holding = r));
    // The first transaction inserts the shared keys and stays open…
    const first = t.db.tx(async (q) => {
      const r = await ingestInteractionsIn(q, shared);
      holding();
      await gate;
      return r;
    });
    await held;
    // …while the second, for another person (so no person lock orders them), reaches those keys and waits on them.
    const second = ingestInteractions(t.db, [...own, ...shared.map((r) => ({ ...r, personId: b!, occurredAt: r.occurredAt + 1 }))]);
    const waiting = async () => (await t.db.get<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"))!.n;
    for (let i = 0; (await waiting()) === 0; i++) {
      if (i > 200) throw new Error('the second batch never waited on the first one’s keys');
      await new Promise((r) => setTimeout(r, 25));
    }
    release();
    expect((await first).inserted).toBe(300);
    const r = await second;
    expect(r).toMatchObject({ inserted: 200, duplicates: 300, affectedPeople: [b] });
    expect(await t.db.all('SELECT person_id, count(*)::int AS n FROM interactions GROUP BY person_id ORDER BY count(*)')).toEqual([
      { person_id: b, n: 200 },
      { person_id: a, n: 300 },
    ]);
    expect(await cached(t.db)).toEqual(await oracle(t.db));
    expect((await verifyStats(t.db)).discrepancies).toEqual([]);
  });
});
