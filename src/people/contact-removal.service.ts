import type { Queryable } from '../db/db.js';
import { recomputeIdentifiers } from './profile.service.js';

/**
 * Address-book entries deleted at the provider (a Google contact removed): the source entity and
 * its identity keys go, and each person's emails and phones are recomputed from what is left.
 * The person stays with their other entries and interactions. An entry never stored is nothing.
 */
export async function removeContactEntitiesIn(q: Queryable, source: string, externalIds: readonly string[], now = Date.now()): Promise<number> {
  const people = new Set<string>();
  let removed = 0;
  for (const id of new Set(externalIds)) {
    const row = await q.get<{ person_id: string }>('SELECT person_id FROM source_entities WHERE source = ? AND external_id = ?', [source, id]);
    if (!row) continue;
    await q.run('DELETE FROM entity_keys WHERE source = ? AND external_id = ?', [source, id]);
    await q.run('DELETE FROM source_entities WHERE source = ? AND external_id = ?', [source, id]);
    people.add(row.person_id);
    removed++;
  }
  await recomputeIdentifiers(q, [...people], now);
  return removed;
}
