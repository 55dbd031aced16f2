import type { DataSource, StoredPage } from './notion-store.js';
import { ValidationError } from './notion-values.js';

/**
 * The part of Notion's query language the emulator understands: timestamp filters on
 * `last_edited_time` / `created_time` (after, on_or_after, before, on_or_before, equals), property
 * `equals` filters on text-like, number, checkbox and select properties, `and` / `or`, and sorts by
 * timestamp or property. Anything else is a 400 validation_error, as Notion answers unknown filters.
 */
type Json = Record<string, unknown>;

export interface QueryTimes {
  /** The time a page shows (rounded as Notion rounds it). */
  shown: (ms: number) => string;
}

function compareTime(op: string, value: string, arg: unknown): boolean {
  if (typeof arg !== 'string' || Number.isNaN(Date.parse(arg))) throw new ValidationError(`body failed validation: body.filter.${op} should be a valid ISO 8601 date string, instead was \`${JSON.stringify(arg)}\`.`);
  const a = Date.parse(value);
  const b = Date.parse(arg);
  switch (op) {
    case 'after':
      return a > b;
    case 'on_or_after':
      return a >= b;
    case 'before':
      return a < b;
    case 'on_or_before':
      return a <= b;
    case 'equals':
      return a === b;
    default:
      throw new ValidationError(`body failed validation: body.filter.${op} is not a supported timestamp condition.`);
  }
}

function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((t: Json) => t.plain_text ?? '').join('');
  if (v && typeof v === 'object' && 'name' in (v as Json)) return (v as Json).name;
  return v;
}

export function compileFilter(ds: DataSource, f: Json | undefined, t: QueryTimes): (p: StoredPage) => boolean {
  if (!f) return () => true;
  if (Array.isArray(f.and)) {
    const parts = (f.and as Json[]).map((x) => compileFilter(ds, x, t));
    return (p) => parts.every((fn) => fn(p));
  }
  if (Array.isArray(f.or)) {
    const parts = (f.or as Json[]).map((x) => compileFilter(ds, x, t));
    return (p) => parts.some((fn) => fn(p));
  }
  if (f.timestamp === 'last_edited_time' || f.timestamp === 'created_time') {
    const cond = f[f.timestamp] as Json | undefined;
    const entry = cond && Object.entries(cond)[0];
    if (!entry) throw new ValidationError(`body failed validation: body.filter.${f.timestamp} should be defined, instead was \`undefined\`.`);
    const [op, arg] = entry;
    compareTime(op, new Date(0).toISOString(), arg);
    return (p) => compareTime(op, t.shown(f.timestamp === 'created_time' ? p.createdAt : p.editedAt), arg);
  }
  if (typeof f.property === 'string') {
    const def = ds.properties.get(f.property) ?? [...ds.properties.values()].find((d) => d.id === f.property);
    if (!def) throw new ValidationError(`Could not find property with name or id: ${f.property}`);
    const cond = f[def.type] as Json | undefined;
    if (!cond || !('equals' in cond)) throw new ValidationError(`body failed validation: body.filter.${def.type} should be defined with an equals condition.`);
    return (p) => plain(p.values.get(def.name)) === cond.equals;
  }
  throw new ValidationError('body failed validation. Fix one: body.filter.or should be defined, body.filter.and should be defined, body.filter.property should be defined, body.filter.timestamp should be defined.');
}

export function compileSorts(ds: DataSource, sorts: unknown): (a: StoredPage, b: StoredPage) => number {
  if (sorts !== undefined && !Array.isArray(sorts)) throw new ValidationError('body failed validation: body.sorts should be an array.');
  const keys = ((sorts ?? []) as Json[]).map((s) => {
    const dir = s.direction === 'descending' ? -1 : s.direction === 'ascending' ? 1 : 0;
    if (!dir) throw new ValidationError(`body failed validation: body.sorts[].direction should be "ascending" or "descending", instead was \`${JSON.stringify(s.direction)}\`.`);
    if (s.timestamp === 'last_edited_time') return (a: StoredPage, b: StoredPage) => dir * (a.editedAt - b.editedAt);
    if (s.timestamp === 'created_time') return (a: StoredPage, b: StoredPage) => dir * (a.createdAt - b.createdAt);
    const def = ds.properties.get(String(s.property));
    if (!def) throw new ValidationError(`Could not find sort property with name or id: ${String(s.property)}`);
    return (a: StoredPage, b: StoredPage) => {
      const x = plain(a.values.get(def.name)) as string | number | null;
      const y = plain(b.values.get(def.name)) as string | number | null;
      return x === y ? 0 : x === null ? 1 : y === null ? -1 : dir * (x < y ? -1 : 1);
    };
  });
  // Notion's default order is by creation time, newest first.
  keys.push((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1));
  return (a, b) => {
    for (const k of keys) {
      const c = k(a, b);
      if (c) return c;
    }
    return 0;
  };
}
