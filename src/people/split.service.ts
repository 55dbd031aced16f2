import type { Db, Queryable } from '../db/db.js';
import { interactionTypesOfSource } from './source-interaction-types.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { writeAudit } from './audit.js';
import { recomputeIdentifiers } from './profile.service.js';
import { createPerson } from './resolve.service.js';
import { inList, lockPeople } from './sql-support.js';
import { refreshPeopleStatsIn } from './stats.service.js';
import { markPeopleChanged } from '../promotion/person-contacts.store.js';

/**
 * Split: the given source entities, with the interactions that came through them, move from a
 * person to a new one. Moved entities are pinned, so phase-2 linking never pulls them back.
 * Entity ids are written `source:external_id` (as `kith people show` lists them).
 */
export interface SplitResult {
  auditId: string;
  from: string;
  to: string;
  movedInteractions: number;
  movedEntities: number;
}

export function parseEntityId(id: string): { source: string; externalId: string } {
  const i = id.indexOf(':');
  if (i <= 0 || i === id.length - 1) throw new InvalidInputError(`entity id ${JSON.stringify(id)} must look like source:external_id`);
  return { source: id.slice(0, i), externalId: id.slice(i + 1) };
}

export function splitPerson(db: Db, personId: string, entityIds: readonly string[], opts: { name?: string } = {}): Promise<SplitResult> {
  return db.tx((q) => splitPersonIn(q, personId, entityIds, opts));
}

export async function splitPersonIn(q: Queryable, personId: string, entityIds: readonly string[], opts: { name?: string } = {}, now = Date.now()): Promise<SplitResult> {
  const ids = [...new Set(entityIds)];
  if (ids.length === 0) throw new InvalidInputError('split: give at least one entity to move (--entities)');
  const [p] = await lockPeople(q, [personId]);
  if (!p) throw new NotFoundError(`split: person ${personId} not found`);
  if (p.merged_into) throw new InvalidInputError(`split: person ${personId} was merged into ${p.merged_into}`);
  const ents = [];
  for (const id of ids) {
    const { source, externalId } = parseEntityId(id);
    const e = await q.get<{ person_id: string; names: string }>('SELECT person_id, names FROM source_entities WHERE source = ? AND external_id = ?', [source, externalId]);
    if (!e) throw new NotFoundError(`split: entity ${id} not found`);
    if (e.person_id !== personId) throw new InvalidInputError(`split: entity ${id} belongs to ${e.person_id}, not ${personId}`);
    ents.push({ source, externalId, names: JSON.parse(e.names) as string[] });
  }
  const to = await createPerson(q, opts.name ?? ents.find((e) => e.names.length)?.names[0] ?? '', now);
  let movedInteractions = 0;
  const moved: Record<string, number[]> = {};
  for (const e of ents) {
    await q.run('UPDATE source_entities SET person_id = ?, pinned = 1 WHERE source = ? AND external_id = ?', [to, e.source, e.externalId]);
    const types = inList(q, 'source_type', interactionTypesOfSource(e.source));
    const rows = await q.all<{ id: number }>(
      `UPDATE interactions SET person_id = ? WHERE person_id = ? AND entity_ref = ? AND ${types.sql} RETURNING id`,
      [to, personId, e.externalId, ...types.params],
    );
    moved[`${e.source}:${e.externalId}`] = rows.map((r) => Number(r.id));
    movedInteractions += rows.length;
  }
  await refreshPeopleStatsIn(q, [personId, to]);
  await recomputeIdentifiers(q, [personId, to], now);
  await markPeopleChanged(q, [personId, to]);
  const auditId = await writeAudit(q, 'split', `split ${ids.join(', ')} from ${personId} into ${to}`, { from: personId, to, entities: ids, interactions: moved }, now);
  return { auditId, from: personId, to, movedInteractions, movedEntities: ents.length };
}
