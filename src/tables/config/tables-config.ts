import { z } from 'zod';

/** Notion property types a mapping may name as an override (`{ property: Date, type: date }`). */
export const NOTION_PROPERTY_TYPES = [
  'title', 'rich_text', 'number', 'select', 'multi_select', 'status', 'date', 'checkbox', 'url', 'email', 'phone_number', 'people',
  'relation', 'created_time', 'last_edited_time', 'created_by', 'last_edited_by', 'formula', 'rollup', 'files', 'unique_id',
] as const;

const SQL_NAME = /^[a-z_][a-z0-9_]*$/;
const TABLE_NAME = /^[a-z][a-z0-9_-]*$/;

/** `5m`, `90s`, `1h` → milliseconds. */
const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h)$/, 'must be a duration such as 90s, 5m or 1h')
  .transform((v) => {
    const n = Number(/^\d+/.exec(v)![0]);
    const unit = v.slice(String(n).length);
    return n * ({ ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const)[unit as 'ms' | 's' | 'm' | 'h'];
  })
  .refine((ms) => ms >= 10_000, 'must be at least 10s');

const share = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');

/** One mapped field: `column: Property` or `column: { property, type?, relation? }`. */
const fieldSpec = z.union([
  z.string().min(1, 'must name a Notion property'),
  z
    .object({
      property: z.string().min(1, 'must name a Notion property'),
      type: z.enum(NOTION_PROPERTY_TYPES).optional(),
      /** The mapped table (or `contacts`) whose pages this relation points to. */
      relation: z.string().regex(TABLE_NAME, 'must name a mapped table or contacts').optional(),
    })
    .strict(),
]);

export const tableEntrySchema = z
  .object({
    name: z.string().regex(TABLE_NAME, 'must be lowercase letters, digits, dashes and underscores'),
    mode: z.enum(['one-way', 'two-way']),
    notion: z.object({ data_source: z.string().min(1, 'must be the Notion data source id') }).strict(),
    supabase: z.object({ table: z.string().regex(SQL_NAME, 'must be a lowercase SQL table name') }).strict(),
    fields: z.record(z.string().regex(SQL_NAME, 'a Supabase column must be a lowercase SQL name'), fieldSpec).refine((f) => Object.keys(f).length > 0, 'must map at least one column'),
    /** How often the schedule runs this table's incremental sync (default 5m). */
    every: duration.optional(),
    /** How often the schedule runs a full sync (default 1h). */
    full_every: duration.optional(),
    safety: z
      .object({
        /** A source answering fewer live records than this share of the destination's aborts the run. */
        min_source_share: share.optional(),
        /** A run that would delete or trash more than this share of the destination's live records aborts. */
        max_delete_share: share.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const tablesSchema = z.array(tableEntrySchema);

export type TableEntry = z.infer<typeof tableEntrySchema>;
export type TableMode = TableEntry['mode'];
export type NotionPropertyTypeName = (typeof NOTION_PROPERTY_TYPES)[number];

export interface FieldMapping {
  column: string;
  property: string;
  /** Given in the configuration; else inferred from the data source's schema. */
  type?: NotionPropertyTypeName;
  relation?: string;
}

export interface TableMapping {
  name: string;
  mode: TableMode;
  dataSourceId: string;
  table: string;
  fields: FieldMapping[];
  everyMs: number;
  fullEveryMs: number;
  minSourceShare: number;
  maxDeleteShare: number;
}

export const DEFAULT_EVERY_MS = 5 * 60_000;
export const DEFAULT_FULL_EVERY_MS = 60 * 60_000;
export const DEFAULT_MIN_SOURCE_SHARE = 0.1;
export const DEFAULT_MAX_DELETE_SHARE = 0.5;
/** The relation target that is the contact hub's contacts (resolved through its links), not a mapped table. */
export const CONTACTS_RELATION = 'contacts';

export function toTableMapping(e: TableEntry): TableMapping {
  return {
    name: e.name,
    mode: e.mode,
    dataSourceId: e.notion.data_source,
    table: e.supabase.table,
    fields: Object.entries(e.fields).map(([column, f]) => (typeof f === 'string' ? { column, property: f } : { column, property: f.property, type: f.type, relation: f.relation })),
    everyMs: e.every ?? DEFAULT_EVERY_MS,
    fullEveryMs: e.full_every ?? DEFAULT_FULL_EVERY_MS,
    minSourceShare: e.safety?.min_source_share ?? DEFAULT_MIN_SOURCE_SHARE,
    maxDeleteShare: e.safety?.max_delete_share ?? DEFAULT_MAX_DELETE_SHARE,
  };
}

/**
 * Checks across entries, as `[path, message]` for the caller to place on a line: names unique,
 * a relation names `contacts` or another mapped table, no column is one of the sync columns.
 */
export function tablesProblem(entries: readonly TableEntry[]): [PropertyKey[], string] | undefined {
  const names = new Set<string>();
  for (const [i, e] of entries.entries()) {
    if (names.has(e.name)) return [[i, 'name'], `two tables share the name '${e.name}'`];
    names.add(e.name);
  }
  for (const [i, e] of entries.entries()) {
    for (const [column, f] of Object.entries(e.fields)) {
      if (SYNC_COLUMNS.includes(column as (typeof SYNC_COLUMNS)[number])) return [[i, 'fields', column], `'${column}' is a sync column Kith keeps itself; map the property to another column`];
      if (typeof f === 'string' || !f.relation) continue;
      if (f.relation !== CONTACTS_RELATION && !names.has(f.relation)) return [[i, 'fields', column, 'relation'], `'${f.relation}' is neither contacts nor a mapped table (${[...names].join(', ')})`];
      if (f.type && f.type !== 'relation') return [[i, 'fields', column, 'type'], 'a field with a relation must be of type relation'];
    }
  }
  return undefined;
}

/** The columns every synced table has (src/tables/sql/table-sync-columns.sql adds them). */
export const SYNC_COLUMNS = ['id', 'notion_page_id', 'notion_updated_at', 'last_sync_source', 'created_at', 'updated_at', 'deleted_at', 'sync_write_id'] as const;

/**
 * The order runs go in: tables others relate to before those relating to them, two-way before
 * one-way (the contact hub's contacts go before every table: the caller enqueues them first).
 */
export function runOrder(tables: readonly TableMapping[]): TableMapping[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const out: TableMapping[] = [];
  const seen = new Set<string>();
  const visit = (t: TableMapping, path: Set<string>) => {
    if (seen.has(t.name) || path.has(t.name)) return;
    path.add(t.name);
    for (const f of t.fields) {
      const target = f.relation && byName.get(f.relation);
      if (target) visit(target, path);
    }
    seen.add(t.name);
    out.push(t);
  };
  const sorted = [...tables].sort((a, b) => (a.mode === b.mode ? 0 : a.mode === 'two-way' ? -1 : 1));
  for (const t of sorted) visit(t, new Set());
  return out;
}
