import type { CountryCode } from 'libphonenumber-js';
import { CATEGORY_CODES, type ContactFields, SYSTEM_NAMES } from './canonical-contact.js';
import { stableStringify } from './content-hash.js';
import { CONTACT_FIELD_KEYS, type ContactFieldKey } from './contact-content.js';
import { isEmptyValue, normaliseEmail, normaliseEmailList, normalisePhone, normalisePhoneList } from './contact-normalise.js';

/** One thing wrong with a record, naming the field (dotted path). */
export interface ContactProblem {
  field: string;
  message: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SCALES = ['emotional_depth', 'closeness_level'] as const;

/**
 * Validates a contact given as any object (a row read from a system need not parse):
 * required contact_id, canonical_name, sync_metadata.version; category A–H/X; subcategory
 * starting with the category; emails and phones stored in normalised form (lower-case address,
 * E.164); llm_context scales 1–10. Returns every problem, [] when the record is aligned.
 */
export function validateContact(input: unknown, region?: CountryCode): ContactProblem[] {
  const out: ContactProblem[] = [];
  if (typeof input !== 'object' || input === null) return [{ field: 'contact', message: 'is not an object' }];
  const c = input as Record<string, unknown>;
  if (typeof c.contact_id !== 'string' || c.contact_id === '') out.push({ field: 'contact_id', message: 'is required' });
  else if (!UUID.test(c.contact_id)) out.push({ field: 'contact_id', message: 'must be a UUID' });
  if (typeof c.canonical_name !== 'string' || c.canonical_name.trim() === '') out.push({ field: 'canonical_name', message: 'is required' });

  const meta = c.sync_metadata as Record<string, unknown> | undefined;
  if (typeof meta !== 'object' || meta === null) out.push({ field: 'sync_metadata.version', message: 'is required' });
  else {
    if (!Number.isInteger(meta.version) || (meta.version as number) < 1) out.push({ field: 'sync_metadata.version', message: 'is required (an integer ≥ 1)' });
    if (typeof meta.last_updated !== 'string' || Number.isNaN(Date.parse(meta.last_updated))) {
      out.push({ field: 'sync_metadata.last_updated', message: 'must be an ISO-8601 instant' });
    }
    if (!(SYSTEM_NAMES as readonly unknown[]).includes(meta.last_updated_by)) {
      out.push({ field: 'sync_metadata.last_updated_by', message: `must be one of ${SYSTEM_NAMES.join(', ')}` });
    }
  }

  const cat = c.category_code;
  if (cat != null && !(CATEGORY_CODES as readonly unknown[]).includes(cat)) out.push({ field: 'category_code', message: 'must be A–H or X' });
  const sub = c.subcategory_code;
  if (sub != null) {
    if (typeof sub !== 'string') out.push({ field: 'subcategory_code', message: 'must be a string' });
    else if (typeof cat !== 'string') out.push({ field: 'subcategory_code', message: 'needs a category_code' });
    else if (!sub.startsWith(cat)) out.push({ field: 'subcategory_code', message: `must start with category_code '${cat}'` });
  }

  listCheck(c.emails, 'emails', (e) => (normaliseEmail(e) === e ? null : normaliseEmail(e) ? `'${e}' is not normalised (want '${normaliseEmail(e)}')` : `'${e}' is not an email address`), out);
  listCheck(c.phones, 'phones', (p) => {
    const n = normalisePhone(p, region);
    return n === p ? null : n ? `'${p}' is not E.164 (want '${n}')` : `'${p}' is not a phone number`;
  }, out);

  const ctx = c.llm_context as Record<string, unknown> | null | undefined;
  if (ctx != null) {
    if (typeof ctx !== 'object') out.push({ field: 'llm_context', message: 'must be an object' });
    else {
      for (const s of SCALES) {
        const v = ctx[s];
        if (v != null && (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 10)) out.push({ field: `llm_context.${s}`, message: 'must be an integer 1–10' });
      }
    }
  }
  return out;
}

function listCheck(v: unknown, field: string, check: (s: string) => string | null, out: ContactProblem[]): void {
  if (v == null) return;
  if (!Array.isArray(v)) {
    out.push({ field, message: 'must be a list' });
    return;
  }
  const seen = new Set<string>();
  v.forEach((item, i) => {
    if (typeof item !== 'string') return void out.push({ field: `${field}[${i}]`, message: 'must be a string' });
    const problem = check(item);
    if (problem) out.push({ field: `${field}[${i}]`, message: problem });
    if (seen.has(item)) out.push({ field: `${field}[${i}]`, message: `'${item}' is listed twice` });
    seen.add(item);
  });
}

export interface FieldDifference {
  field: ContactFieldKey | 'deleted';
  a: unknown;
  b: unknown;
}

export interface CompareOptions {
  /** Compare only these fields (e.g. the ones a system holds); default every field present in both. */
  fields?: readonly ContactFieldKey[];
  region?: CountryCode;
}

type Comparable = Partial<ContactFields> & { deleted_at?: string | null };

/** A value in comparable form: normalised emails/phones, order-free arrays, trimmed strings, empty → null. */
function comparable(field: ContactFieldKey, v: unknown, region?: CountryCode): unknown {
  if (isEmptyValue(v)) return null;
  if (field === 'emails') return normaliseEmailList(v as string[]);
  if (field === 'phones') return normalisePhoneList(v as string[], region);
  return orderFree(v);
}

function orderFree(v: unknown): unknown {
  if (typeof v === 'string') return v.trim();
  if (Array.isArray(v)) return v.map(orderFree).sort((x, y) => cmp(stableStringify(x), stableStringify(y)));
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (!isEmptyValue(x)) o[k] = orderFree(x);
    return o;
  }
  return v;
}

const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);

/**
 * Compares two contacts: the fields on which two records differ, compared in normalised
 * form (email case and display names, phones as E.164, array order, surrounding whitespace,
 * null = '' = []). Deletion state is compared when both records say it ('deleted').
 */
export function compareContacts(a: Comparable, b: Comparable, opts: CompareOptions = {}): FieldDifference[] {
  const keys = opts.fields ?? CONTACT_FIELD_KEYS.filter((k) => a[k] !== undefined && b[k] !== undefined);
  const out: FieldDifference[] = [];
  for (const k of keys) {
    if (stableStringify(comparable(k, a[k], opts.region)) !== stableStringify(comparable(k, b[k], opts.region))) out.push({ field: k, a: a[k] ?? null, b: b[k] ?? null });
  }
  if (a.deleted_at !== undefined && b.deleted_at !== undefined && (a.deleted_at == null) !== (b.deleted_at == null)) {
    out.push({ field: 'deleted', a: a.deleted_at, b: b.deleted_at });
  }
  return out;
}
