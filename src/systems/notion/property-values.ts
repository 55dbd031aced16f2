import { InvalidInputError } from '../../errors.js';
import type { NotionDate, NotionPropertySchema, NotionPropertyType, PlainValue } from './notion-pages.port.js';

/**
 * Notion's property values as plain data and back, with no I/O. Reading accepts the value
 * objects of a page (`properties[name]` of GET /v1/pages/:id); building gives the payload of
 * `properties[name]` in POST /v1/pages and PATCH /v1/pages/:id.
 */

/** Notion's limit on `text.content` of one rich text object. */
export const TEXT_CHUNK = 2000;
/** Notion's limit on the items of one rich text, multi_select, people or relation array. */
export const MAX_ARRAY_ITEMS = 100;
/** A page object lists at most this many relation ids; beyond, `has_more` says to page through the property endpoint. */
export const RELATION_PAGE_LIMIT = 25;

/** Types a page cannot be given: Notion computes them. */
export const READ_ONLY_TYPES: ReadonlySet<NotionPropertyType> = new Set([
  'created_time',
  'last_edited_time',
  'created_by',
  'last_edited_by',
  'formula',
  'rollup',
  'unique_id',
]);

type Json = Record<string, unknown>;

export interface ReadValue {
  value: PlainValue;
  /** A relation whose page object listed only its first 25 ids (`has_more`): read the rest through the property endpoint. */
  truncated?: boolean;
}

function textOf(items: unknown): string {
  if (!Array.isArray(items)) return '';
  return items.map((t: Json) => (typeof t.plain_text === 'string' ? t.plain_text : ((t.text as Json | undefined)?.content as string | undefined) ?? '')).join('');
}

function dateOf(d: unknown): NotionDate | null {
  if (!d || typeof d !== 'object') return null;
  const x = d as Json;
  return { start: String(x.start), end: (x.end as string | null | undefined) ?? null, timeZone: (x.time_zone as string | null | undefined) ?? null };
}

function nameOf(o: unknown): string | null {
  return o && typeof o === 'object' && typeof (o as Json).name === 'string' ? ((o as Json).name as string) : null;
}

function idsOf(items: unknown): string[] {
  return Array.isArray(items) ? items.map((i: Json) => String(i.id)) : [];
}

/** One property value object of a page → plain data. */
export function readPropertyValue(prop: Json): ReadValue {
  const type = prop.type as NotionPropertyType;
  const v = prop[type];
  switch (type) {
    case 'title':
    case 'rich_text':
      return { value: textOf(v) };
    case 'number':
      return { value: typeof v === 'number' ? v : null };
    case 'select':
    case 'status':
      return { value: nameOf(v) };
    case 'multi_select':
      return { value: Array.isArray(v) ? v.map((o) => nameOf(o) ?? '') : [] };
    case 'date':
      return { value: dateOf(v) };
    case 'checkbox':
      return { value: v === true };
    case 'url':
    case 'email':
    case 'phone_number':
    case 'created_time':
    case 'last_edited_time':
      return { value: typeof v === 'string' ? v : null };
    case 'people':
      return { value: idsOf(v) };
    case 'relation':
      return prop.has_more === true ? { value: idsOf(v), truncated: true } : { value: idsOf(v) };
    case 'created_by':
    case 'last_edited_by':
      return { value: v && typeof v === 'object' ? String((v as Json).id) : null };
    case 'unique_id': {
      const u = v as { prefix?: string | null; number?: number | null } | null;
      return { value: u?.number == null ? null : u.prefix ? `${u.prefix}-${u.number}` : String(u.number) };
    }
    case 'files':
      return {
        value: Array.isArray(v) ? v.map((f: Json) => String(((f.external ?? f.file) as Json | undefined)?.url ?? f.name ?? '')) : [],
      };
    case 'formula': {
      const f = (v ?? {}) as Json;
      const ft = f.type as string;
      return { value: ft === 'date' ? dateOf(f.date) : ((f[ft] as string | number | boolean | null | undefined) ?? null) };
    }
    case 'rollup': {
      const r = (v ?? {}) as Json;
      if (r.type === 'number') return { value: (r.number as number | null) ?? null };
      if (r.type === 'date') return { value: dateOf(r.date) };
      // An array rollup: the items' plain values, as text.
      const items = Array.isArray(r.array) ? (r.array as Json[]).map((i) => readPropertyValue(i).value) : [];
      return { value: items.map((i) => (i === null ? '' : typeof i === 'object' && !Array.isArray(i) ? i.start : String(i))) };
    }
    default:
      return { value: null };
  }
}

/**
 * Split text into chunks of at most 2,000 UTF-16 units (Notion's count), never between the two
 * halves of a surrogate pair, so `chunks.join('')` is the text again.
 */
export function splitText(text: string, size = TEXT_CHUNK): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    let end = Math.min(i + size, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    out.push(text.slice(i, end));
    i = end;
  }
  return out;
}

function fail(name: string, type: string, why: string): never {
  throw new InvalidInputError(`Notion property "${name}" (${type}): ${why}`, 'notion_property_value');
}

function str(name: string, type: string, v: PlainValue): string | null {
  if (v === null || v === '') return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return fail(name, type, `expected text, got ${JSON.stringify(v)}`);
}

function list(name: string, type: string, v: PlainValue): string[] {
  if (v === null) return [];
  if (!Array.isArray(v)) return fail(name, type, `expected a list, got ${JSON.stringify(v)}`);
  if (v.length > MAX_ARRAY_ITEMS) return fail(name, type, `${v.length} items, Notion takes at most ${MAX_ARRAY_ITEMS}`);
  return v;
}

/** Plain data → the payload of one property in a page create or update. Throws InvalidInputError naming the property. */
export function buildPropertyValue(schema: Pick<NotionPropertySchema, 'name' | 'type'>, v: PlainValue): Json {
  const { name, type } = schema;
  if (READ_ONLY_TYPES.has(type)) fail(name, type, 'is computed by Notion and cannot be written');
  switch (type) {
    case 'title':
    case 'rich_text': {
      const s = str(name, type, v) ?? '';
      const chunks = splitText(s);
      if (chunks.length > MAX_ARRAY_ITEMS) fail(name, type, `${s.length} characters, Notion takes at most ${TEXT_CHUNK * MAX_ARRAY_ITEMS}`);
      return { [type]: chunks.map((content) => ({ type: 'text', text: { content } })) };
    }
    case 'number': {
      if (v === null || v === '') return { number: null };
      const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
      if (!Number.isFinite(n)) fail(name, type, `expected a number, got ${JSON.stringify(v)}`);
      return { number: n };
    }
    case 'select':
    case 'status': {
      const s = str(name, type, v);
      if (s !== null && s.includes(',') && type === 'select') fail(name, type, 'an option name cannot contain a comma');
      return { [type]: s === null ? null : { name: s } };
    }
    case 'multi_select':
      return { multi_select: list(name, type, v).map((n) => ({ name: n })) };
    case 'date': {
      if (v === null || v === '') return { date: null };
      const d = typeof v === 'string' ? { start: v } : v;
      if (typeof d !== 'object' || Array.isArray(d) || typeof d.start !== 'string' || !d.start) fail(name, type, `expected a date with a start, got ${JSON.stringify(v)}`);
      return { date: { start: d.start, end: d.end ?? null, time_zone: d.timeZone ?? null } };
    }
    case 'checkbox':
      if (typeof v !== 'boolean' && v !== null) fail(name, type, `expected true or false, got ${JSON.stringify(v)}`);
      return { checkbox: v === true };
    case 'url':
    case 'email':
    case 'phone_number':
      return { [type]: str(name, type, v) };
    case 'people':
      return { people: list(name, type, v).map((id) => ({ object: 'user', id })) };
    case 'relation':
      return { relation: list(name, type, v).map((id) => ({ id })) };
    default:
      return fail(name, type, 'is not a type Kith writes');
  }
}

/** Values keyed by property name → Notion's `properties` payload, checked against the data source's schema. */
export function buildProperties(schema: Record<string, NotionPropertySchema>, values: Record<string, PlainValue>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [name, v] of Object.entries(values)) {
    const s = schema[name];
    if (!s) throw new InvalidInputError(`Notion property "${name}" does not exist in the data source (it has: ${Object.keys(schema).join(', ')})`, 'notion_property_unknown');
    out[name] = buildPropertyValue(s, v);
  }
  return out;
}
