import type { Db, Queryable, SqlValue } from '../db/db.js';
import { isInteractionSourceType } from '../domain/people/source-mapping.js';
import { InvalidInputError } from '../errors.js';
import type { InteractionSourceType } from '../sources/source-event.js';
import { inList, lockPeople } from './sql-support.js';
import { refreshPeopleStatsIn } from './stats.service.js';

/**
 * Deleting interactions (cleanups: marketing mail, orphans, re-matching) with
 * the affected people's counts re-aggregated in the same transaction.
 */
export type DeleteSelector =
  | { ids: readonly number[] }
  | {
      source?: InteractionSourceType;
      /** Every interaction whose external id starts with this (case-sensitive). */
      externalIdPrefix?: string;
      /** Strictly before this instant (epoch ms). */
      before?: number;
      personId?: string;
    };

export interface DeleteResult {
  deleted: number;
  affectedPeople: string[];
}

export function deleteInteractions(db: Db, by: DeleteSelector): Promise<DeleteResult> {
  return db.tx((q) => deleteInteractionsIn(q, by));
}

export async function deleteInteractionsIn(q: Queryable, by: DeleteSelector): Promise<DeleteResult> {
  const { where, params } = selectorSql(q, by);
  // People first, then interactions: the same lock order as ingest.
  const before = await q.all<{ person_id: string }>(`SELECT DISTINCT person_id FROM interactions WHERE ${where}`, params);
  await lockPeople(q, before.map((r) => r.person_id));
  const gone = await q.all<{ person_id: string }>(`DELETE FROM interactions WHERE ${where} RETURNING person_id`, params);
  const affected = [...new Set(gone.map((r) => r.person_id))];
  await refreshPeopleStatsIn(q, affected);
  return { deleted: gone.length, affectedPeople: affected };
}

function selectorSql(q: Queryable, by: DeleteSelector): { where: string; params: SqlValue[] } {
  if ('ids' in by) {
    if (!Array.isArray(by.ids) || by.ids.some((id) => !Number.isInteger(id))) throw new InvalidInputError('delete: ids must be integers');
    const l = inList(q, 'id', by.ids, 'bigint');
    return { where: l.sql, params: l.params };
  }
  const parts: string[] = [];
  const params: SqlValue[] = [];
  if (by.source !== undefined) {
    if (!isInteractionSourceType(by.source)) throw new InvalidInputError(`delete: source: unknown source type ${JSON.stringify(by.source)}`);
    parts.push('source_type = ?');
    params.push(by.source);
  }
  if (by.externalIdPrefix !== undefined) {
    if (typeof by.externalIdPrefix !== 'string' || by.externalIdPrefix === '') throw new InvalidInputError('delete: externalIdPrefix must be a non-empty string');
    parts.push('substr(external_id, 1, ?) = ?');
    params.push(by.externalIdPrefix.length, by.externalIdPrefix);
  }
  if (by.before !== undefined) {
    if (!Number.isInteger(by.before)) throw new InvalidInputError('delete: before must be an instant in epoch milliseconds');
    parts.push('occurred_at < ?');
    params.push(by.before);
  }
  if (by.personId !== undefined) {
    parts.push('person_id = ?');
    params.push(by.personId);
  }
  if (parts.length === 0) throw new InvalidInputError('delete: give ids or at least one of source, externalIdPrefix, before, personId');
  return { where: parts.join(' AND '), params };
}
