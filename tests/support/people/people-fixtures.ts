import type { Db } from '../../../src/db/db.js';
import type { InteractionInput } from '../../../src/domain/people/interaction.js';
import { COUNT_FIELDS, emptyStats, type PersonStats, addInteraction } from '../../../src/domain/people/source-mapping.js';
import { createPerson } from '../../../src/people/resolve.service.js';
import type { InteractionSourceType } from '../../../src/sources/source-event.js';

export async function makePeople(db: Db, n: number, prefix = 'Person'): Promise<string[]> {
  return db.tx(async (q) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push(await createPerson(q, `${prefix} ${i}`));
    return ids;
  });
}

export const TYPES: InteractionSourceType[] = ['gmail', 'calendar', 'vault', 'granola', 'imessage', 'whatsapp', 'sms', 'slack', 'phone', 'linkedin'];

/** Deterministic pseudo-random rows over `people` and every source type. */
export function makeRows(people: string[], n: number, seed = 1, prefix = 'x'): InteractionInput[] {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  return Array.from({ length: n }, (_, i) => ({
    personId: people[Math.floor(rnd() * people.length)]!,
    sourceType: TYPES[i % TYPES.length]!,
    externalId: `${prefix}-${i}`,
    occurredAt: 1_700_000_000_000 + Math.floor(rnd() * 1e10),
    title: `t${i}`,
    conversationKey: `c${i % 7}`,
  }));
}

/** Counts recomputed in JS from every interaction row: the oracle the cached columns must equal. */
export async function oracle(db: Db): Promise<Map<string, PersonStats>> {
  const people = await db.all<{ id: string }>('SELECT id FROM people');
  const m = new Map(people.map((p) => [p.id, emptyStats()]));
  for (const r of await db.all<{ person_id: string; source_type: InteractionSourceType; occurred_at: number }>('SELECT person_id, source_type, occurred_at FROM interactions')) {
    addInteraction(m.get(r.person_id)!, r.source_type, Number(r.occurred_at));
  }
  return m;
}

export async function cached(db: Db): Promise<Map<string, PersonStats>> {
  const rows = await db.all<Record<string, number | null> & { id: string }>(
    `SELECT id, ${COUNT_FIELDS.join(', ')}, source_mask, first_interaction_at, last_interaction_at FROM people`,
  );
  return new Map(
    rows.map((r) => {
      const s = emptyStats();
      for (const k of Object.keys(s) as (keyof PersonStats)[]) (s as unknown as Record<string, number | null>)[k] = r[k] === null ? null : Number(r[k]);
      return [r.id, s];
    }),
  );
}

/** Sorted, comparable dump of the tables a merge/unmerge touches. */
export async function dumpState(db: Db): Promise<unknown> {
  return {
    people: await db.all('SELECT * FROM people ORDER BY id'),
    entities: await db.all('SELECT * FROM source_entities ORDER BY source, external_id'),
    interactions: await db.all('SELECT * FROM interactions ORDER BY id'),
  };
}
