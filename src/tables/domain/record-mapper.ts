import type { NotionPage, NotionPropertySchema, NotionPropertyType, PlainValue } from '../../systems/notion/notion-pages.port.js';
import type { TableMapping } from '../config/tables-config.js';
import { type FieldValue, normalValue, READ_ONLY_TYPES, toColumnValue, toPlainValue } from './field-values.js';
import type { NotionSide, RowSide, TableContent } from './table-content.js';

/** A mapped field with its type settled (the configuration's override, else the data source's). */
export interface ResolvedField {
  column: string;
  property: string;
  type: NotionPropertyType;
  /** The mapped table (or `contacts`) a relation's pages belong to. */
  relation?: string;
  readOnly: boolean;
}

/** The mapping's fields against the data source's schema; a problem names the table, column and property. */
export function resolveFields(m: TableMapping, schema: Record<string, NotionPropertySchema>): { fields: ResolvedField[]; problems: string[] } {
  const problems: string[] = [];
  const fields: ResolvedField[] = [];
  for (const f of m.fields) {
    const prop = schema[f.property];
    if (!prop) {
      problems.push(`tables.${m.name}.fields.${f.column}: the data source has no property '${f.property}' (it has ${Object.keys(schema).join(', ') || 'none'})`);
      continue;
    }
    const type = f.type ?? prop.type;
    if (f.relation && type !== 'relation') problems.push(`tables.${m.name}.fields.${f.column}: '${f.property}' is ${type}, not a relation`);
    if (type === 'relation' && !f.relation) problems.push(`tables.${m.name}.fields.${f.column}: '${f.property}' is a relation; say which table it points to ({ property: ${f.property}, relation: <table or contacts> })`);
    fields.push({ column: f.column, property: f.property, type, relation: f.relation, readOnly: READ_ONLY_TYPES.has(type) });
  }
  if (!fields.some((f) => f.type === 'title')) problems.push(`tables.${m.name}: no column maps the data source's title property (a page needs one to be created)`);
  return { fields, problems: m.mode === 'one-way' ? problems.filter((p) => !p.endsWith('needs one to be created)')) : problems };
}

/** Relations resolved through the link tables: Notion page id ↔ Supabase id, per target. */
export interface RelationIds {
  toRow(target: string, pageId: string): string | undefined;
  toPage(target: string, rowId: string): string | undefined;
}

/** The page's content; relation pages that are not linked yet are left out and named. */
export function pageContent(page: NotionPage, fields: readonly ResolvedField[], rel: RelationIds): { content: TableContent; unresolved: string[] } {
  const out: Record<string, FieldValue> = {};
  const unresolved: string[] = [];
  for (const f of fields) {
    const raw = page.properties[f.property]?.value ?? null;
    if (f.type === 'relation' && f.relation) {
      const ids: string[] = [];
      for (const pageId of Array.isArray(raw) ? raw : []) {
        const id = rel.toRow(f.relation, pageId);
        if (id) ids.push(id);
        else unresolved.push(`${f.property} → ${pageId}`);
      }
      out[f.column] = normalValue('relation', ids);
    } else out[f.column] = normalValue(f.type, raw);
  }
  return { content: { fields: out, deleted: page.inTrash }, unresolved };
}

export function notionSide(page: NotionPage, fields: readonly ResolvedField[], rel: RelationIds): NotionSide & { unresolved: string[] } {
  const { content, unresolved } = pageContent(page, fields, rel);
  return { pageId: page.id, editedAt: page.lastEditedTime, content, unresolved };
}

/** A Supabase row as PostgREST returns it (the mapped columns and the sync columns). */
export type TableRow = Record<string, unknown> & { id: string; notion_page_id: string | null; updated_at: string; deleted_at: string | null };

export function rowSide(row: TableRow, fields: readonly ResolvedField[]): RowSide {
  const out: Record<string, FieldValue> = {};
  for (const f of fields) out[f.column] = normalValue(f.type, row[f.column]);
  return { rowId: String(row.id), pageId: row.notion_page_id ?? null, updatedAt: row.updated_at, content: { fields: out, deleted: row.deleted_at != null } };
}

/** The values to write to a page (read-only properties left out; relation ids turned into pages). */
export function pageValues(content: TableContent, fields: readonly ResolvedField[], rel: RelationIds): Record<string, PlainValue> {
  const out: Record<string, PlainValue> = {};
  for (const f of fields) {
    if (f.readOnly) continue;
    const v = content.fields[f.column] ?? null;
    if (f.type === 'relation' && f.relation) {
      out[f.property] = (Array.isArray(v) ? v : []).flatMap((id) => rel.toPage(f.relation!, id) ?? []);
    } else out[f.property] = toPlainValue(f.type, v);
  }
  return out;
}

/** The mapped columns to write to a row. */
export function rowValues(content: TableContent, fields: readonly ResolvedField[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f.column] = toColumnValue(content.fields[f.column] ?? null);
  return out;
}
