import { InvalidInputError, NotFoundError } from '../../errors.js';
import { notionSide, resolveFields, rowSide } from '../domain/record-mapper.js';
import type { Side } from '../domain/record-decision.js';
import { getTableConflict, markTableConflictResolved } from '../stores/table-conflicts.store.js';
import { readSyncRecords } from '../stores/sync-records.store.js';
import { applyRecord } from './apply-record.service.js';
import { loadRelations } from './relations.service.js';
import { tableByName } from './table-jobs.service.js';
import { emptyReport, type TableSyncDeps } from './table-sync-deps.js';

/**
 * Settle a table record's conflict: the side taken (`notion` or `supabase`, as it was when the
 * conflict was recorded) is written to the page and the row, and the conflict is closed.
 */
export async function resolveTableConflict(deps: TableSyncDeps, id: string, take: string): Promise<{ table: string; rowId: string; pageId: string; took: Side }> {
  if (take !== 'notion' && take !== 'supabase') throw new InvalidInputError(`--take: must be notion or supabase (got '${take}')`);
  const c = await getTableConflict(deps.db, id);
  if (!c) throw new NotFoundError(`no table conflict '${id}' (kith tables conflicts lists them)`);
  if (c.resolvedAt != null) throw new InvalidInputError(`conflict ${id} was resolved already`);
  const m = tableByName(deps, c.table);
  const { fields, problems } = resolveFields(m, await deps.pages.schema(m.dataSourceId));
  if (problems.length) throw new InvalidInputError(problems.join('; '));
  const rel = await loadRelations(deps.db, fields);
  const chosen = c.winner.system === take ? c.winner : c.loser;
  const [record] = await readSyncRecords(deps.db, m.name, { rowIds: [c.rowId] });
  const pageId = record?.pageId ?? (c.winner.system === 'notion' ? c.winner.id : c.loser.id);
  const page = await deps.pages.get(pageId);
  const [raw] = await deps.rows(m.table).readBy('id', [c.rowId]);
  if (!page || !raw) throw new NotFoundError(`conflict ${id}: the ${page ? 'row' : 'page'} is gone; nothing to write`);
  const now = (deps.clock ?? Date.now)();
  const report = emptyReport(m, 'records', false);
  await applyRecord(
    { deps, m, fields, rel, rows: deps.rows(m.table), report, now },
    { notion: notionSide(page, fields, rel), page, row: rowSide(raw, fields), raw, record },
    { kind: 'update-page', content: chosen.content, reason: 'conflict' },
  );
  await markTableConflictResolved(deps.db, id, { took: take, content: chosen.content }, now);
  return { table: m.name, rowId: c.rowId, pageId, took: take };
}
