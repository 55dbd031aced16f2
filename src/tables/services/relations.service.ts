import type { Queryable } from '../../db/db.js';
import { CONTACTS_RELATION } from '../config/tables-config.js';
import type { RelationIds, ResolvedField } from '../domain/record-mapper.js';
import { readContactLinks, readLinks } from '../stores/sync-records.store.js';

/**
 * The link tables of every relation target the fields name, loaded once per run: a mapped
 * table's through table_sync_records, `contacts` through the contact hub's links to Notion.
 */
export async function loadRelations(q: Queryable, fields: readonly ResolvedField[]): Promise<RelationIds> {
  const toRow = new Map<string, Map<string, string>>();
  const toPage = new Map<string, Map<string, string>>();
  for (const target of new Set(fields.flatMap((f) => (f.relation ? [f.relation] : [])))) {
    const links = target === CONTACTS_RELATION ? await readContactLinks(q) : await readLinks(q, target);
    toRow.set(target, new Map(links.map((l) => [l.pageId, l.rowId])));
    toPage.set(target, new Map(links.map((l) => [l.rowId, l.pageId])));
  }
  return {
    toRow: (target, pageId) => toRow.get(target)?.get(pageId),
    toPage: (target, rowId) => toPage.get(target)?.get(rowId),
  };
}
