import type { NotionDate, NotionPropertyType, PlainValue } from '../../systems/notion/notion-pages.port.js';

/**
 * One field's value as both sides compare it: the same value read from a Notion property or a
 * Supabase column has the same normal form, so its content hash is the same on both sides.
 */
export type FieldValue = string | number | boolean | null | string[] | { start: string; end: string | null; time_zone: string | null };

/** Types Notion computes: read into Supabase, never written to Notion. */
export const READ_ONLY_TYPES: ReadonlySet<NotionPropertyType> = new Set(['created_time', 'last_edited_time', 'created_by', 'last_edited_by', 'formula', 'rollup', 'files', 'unique_id']);

const LIST_TYPES: ReadonlySet<NotionPropertyType> = new Set(['multi_select', 'people', 'relation', 'files', 'created_by', 'last_edited_by']);

/** An ISO time as one string (`2024-03-05T10:00:00.000Z`); a date without time stays `2024-03-05`. */
export function normalTime(v: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return v;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? v : new Date(ms).toISOString();
}

function isDateObject(v: unknown): v is NotionDate | { start: string; end?: string | null; time_zone?: string | null } {
  return !!v && typeof v === 'object' && !Array.isArray(v) && typeof (v as { start?: unknown }).start === 'string';
}

/** A date with no end and no time zone is its start alone; a range or zoned date is an object. */
function normalDate(v: unknown): FieldValue {
  if (v == null || v === '') return null;
  if (typeof v === 'string') return normalTime(v);
  if (!isDateObject(v)) return null;
  const end = v.end ? normalTime(v.end) : null;
  const tz = ('timeZone' in v ? v.timeZone : 'time_zone' in v ? v.time_zone : null) ?? null;
  if (!end && !tz) return normalTime(v.start);
  return { start: normalTime(v.start), end, time_zone: tz };
}

function normalList(v: unknown): string[] {
  if (v == null) return [];
  const list = Array.isArray(v) ? v : [v];
  return [...new Set(list.filter((x) => x != null && x !== '').map(String))].sort();
}

/** A value (Notion's plain value or a Supabase column's JSON) in its normal form for a property type. */
export function normalValue(type: NotionPropertyType, v: unknown): FieldValue {
  if (type === 'date') return normalDate(v);
  if (LIST_TYPES.has(type)) return normalList(v);
  if (type === 'checkbox') return v === true || v === 'true';
  if (type === 'number') {
    if (v == null || v === '') return null;
    const n = typeof v === 'number' ? v : Number(v);
    return Number.isFinite(n) ? n : null;
  }
  if (type === 'created_time' || type === 'last_edited_time') return typeof v === 'string' && v ? normalTime(v) : null;
  if (v == null || v === '') return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return type === 'formula' || type === 'rollup' || type === 'unique_id' ? v : String(v);
  return JSON.stringify(v);
}

/** A normal value as Notion's builder takes it. */
export function toPlainValue(type: NotionPropertyType, v: FieldValue): PlainValue {
  if (type === 'date') {
    if (v == null) return null;
    if (typeof v === 'string') return { start: v };
    if (typeof v === 'object' && !Array.isArray(v)) return { start: v.start, end: v.end, timeZone: v.time_zone };
    return null;
  }
  if (type === 'checkbox') return v === true;
  return v as PlainValue;
}

/** A normal value as a Supabase column takes it (a date range or zoned date as a JSON object). */
export function toColumnValue(v: FieldValue): unknown {
  return v;
}
