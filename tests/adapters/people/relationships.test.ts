import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InteractionInput } from '../../../src/domain/people/interaction.js';
import { computeStrengths, discoverRelationships, ingestInteractions } from '../../../src/people/index.js';
import { ENGINES, freshDb, type TestDb } from '../../support/test-env.js';
import { makePeople } from '../../support/people/people-fixtures.js';

const DAY = 86_400_000;

describe.each(ENGINES)('relationships and strengths (%s)', (engine) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await freshDb(engine);
  });
  afterEach(async () => {
    await t.dispose();
  });

  it('discovers pairs from shared threads, events and chats with first/last seen', async () => {
    const [a, b, c, d] = await makePeople(t.db, 4);
    let n = 0;
    const row = (personId: string, sourceType: InteractionInput['sourceType'], conversationKey: string, occurredAt: number): InteractionInput => ({
      personId,
      sourceType,
      conversationKey,
      occurredAt,
      externalId: `r${n++}`,
    });
    await ingestInteractions(t.db, [
      row(a!, 'gmail', 'thread-1', 100),
      row(b!, 'gmail', 'thread-1', 110),
      row(a!, 'gmail', 'thread-2', 200),
      row(b!, 'gmail', 'thread-2', 210),
      row(c!, 'gmail', 'thread-2', 220),
      row(a!, 'calendar', 'event-1', 300),
      row(b!, 'calendar', 'event-1', 300),
      row(a!, 'slack', 'chan-1', 400),
      row(a!, 'slack', 'chan-1', 401),
      row(a!, 'slack', 'chan-1', 402),
      row(b!, 'slack', 'chan-1', 405),
      row(b!, 'slack', 'chan-1', 406),
      // Same key in another source type is another conversation.
      row(d!, 'calendar', 'thread-1', 500),
      // Notes and calls do not make relationships.
      row(c!, 'vault', 'note-1', 600),
      row(d!, 'vault', 'note-1', 600),
    ]);
    expect(await discoverRelationships(t.db, { now: 999 })).toEqual({ relationships: 3 });
    const rels = await t.db.all<Record<string, unknown>>(
      'SELECT person_a, person_b, shared_events_count, shared_threads_count, shared_messages_count, first_seen_at, last_seen_at FROM relationships ORDER BY shared_threads_count DESC, person_a',
    );
    const pair = (x: string, y: string) => (x < y ? [x, y] : [y, x]);
    const ab = rels.find((r) => [r.person_a, r.person_b].join() === pair(a!, b!).join())!;
    expect(ab).toMatchObject({ shared_events_count: 1, shared_threads_count: 2, shared_messages_count: 2, first_seen_at: 100, last_seen_at: 406 });
    const others = rels.filter((r) => r !== ab).map((r) => [r.person_a, r.person_b].join());
    expect(others.sort()).toEqual([pair(a!, c!).join(), pair(b!, c!).join()].sort());
    // Recomputed from scratch: running again gives the same table; a cap drops big conversations.
    expect(await discoverRelationships(t.db)).toEqual({ relationships: 3 });
    expect(await discoverRelationships(t.db, { maxParticipants: 2 })).toEqual({ relationships: 1 });
    if (engine === 'sqlite') {
      // The secondary index dropped for the bulk insert is back, and temp storage is as it was.
      const ix = await t.db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'relationships' AND sql IS NOT NULL");
      expect(ix.map((r) => r.name)).toEqual(['relationships_b']);
      expect(await t.db.get<{ temp_store: number }>('PRAGMA temp_store')).toEqual({ temp_store: 2 });
    }
  });

  it('stores each live person strength from recency, frequency and variety', async () => {
    const now = 1_800_000_000_000;
    const [close, faded, never] = await makePeople(t.db, 3);
    await ingestInteractions(t.db, [
      { personId: close!, sourceType: 'calendar', externalId: 'm1', occurredAt: now - DAY },
      { personId: close!, sourceType: 'gmail', externalId: 'g1', occurredAt: now - 2 * DAY },
      { personId: close!, sourceType: 'phone', externalId: 'c1', occurredAt: now - 3 * DAY },
      { personId: faded!, sourceType: 'gmail', externalId: 'g2', occurredAt: now - 400 * DAY },
    ]);
    expect(await computeStrengths(t.db, now)).toEqual({ updated: 3 });
    const s = new Map((await t.db.all<{ id: string; strength: number; strength_at: number }>('SELECT id, strength, strength_at FROM people')).map((r) => [r.id, r]));
    expect(s.get(never!)!.strength).toBe(0);
    expect(s.get(close!)!.strength).toBeGreaterThan(s.get(faded!)!.strength);
    // faded: recency 0.5^(400/30) ≈ 0.0001, no recent interactions, variety 1/5.
    expect(s.get(faded!)!.strength).toBe(4);
    expect(Number(s.get(close!)!.strength_at)).toBe(now);
  });
});
