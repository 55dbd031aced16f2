import { CATEGORY_CODES, type ContactFields } from '../../hub/domain/canonical-contact.js';
import type { ContactFieldKey } from '../../hub/domain/contact-content.js';
import type { SystemContact } from '../../hub/ports/contact-system.js';
import type { NotionPage, PlainValue } from './notion-pages.port.js';

/**
 * Pure mapping canonical ↔ a page of the Notion contacts data source. The data source needs
 * these properties, by default named as below (NOTION_CONTACT_PROPERTIES renames them, or leaves
 * one out with null): Name (title), Kith ID (rich_text: Kith's contact id, so a retried create
 * finds its page), Emails and Phones (rich_text, one per line), Company, Job title, Subcategory,
 * Notes (rich_text), Category (select: a category code, A–H or X), Tags (multi_select), Last
 * contacted (date); and, only when named, a LinkedIn url property.
 * `notionView` is what Notion will hand back for a canonical record: compare and hash with it.
 */
export interface NotionContactProperties {
  canonical_name: string;
  kith_id: string;
  emails: string | null;
  phones: string | null;
  company: string | null;
  job_title: string | null;
  category_code: string | null;
  subcategory_code: string | null;
  notes: string | null;
  tags: string | null;
  last_contacted: string | null;
  linkedin_url: string | null;
}

export const NOTION_CONTACT_PROPERTIES: Readonly<NotionContactProperties> = Object.freeze({
  canonical_name: 'Name',
  kith_id: 'Kith ID',
  emails: 'Emails',
  phones: 'Phones',
  company: 'Company',
  job_title: 'Job title',
  category_code: 'Category',
  subcategory_code: 'Subcategory',
  notes: 'Notes',
  tags: 'Tags',
  last_contacted: 'Last contacted',
  linkedin_url: null,
});

type P = NotionContactProperties;
const MAPPED_KEYS = ['canonical_name', 'emails', 'phones', 'company', 'job_title', 'category_code', 'subcategory_code', 'notes', 'tags', 'last_contacted', 'linkedin_url'] as const satisfies readonly (ContactFieldKey & keyof P)[];

/** The canonical fields Notion holds under these property names (a field whose property is left out is not held). */
export function notionFieldKeys(p: P = NOTION_CONTACT_PROPERTIES): ContactFieldKey[] {
  return MAPPED_KEYS.filter((k) => p[k] != null);
}

/** The fields Notion holds with the default property names. */
export const NOTION_FIELD_KEYS: readonly ContactFieldKey[] = notionFieldKeys();

const lines = (v: readonly string[]) => v.map((s) => s.trim()).filter(Boolean).join('\n');
const unlines = (v: PlainValue | undefined) => (typeof v === 'string' ? v.split('\n').map((s) => s.trim()).filter(Boolean) : []);
const text = (v: PlainValue | undefined) => (typeof v === 'string' && v.trim() ? v.trim() : null);
const list = (v: PlainValue | undefined) => (Array.isArray(v) ? v.map((s) => s.trim()).filter(Boolean) : []);
/** A date property's day: its start, YYYY-MM-DD (a date with a time keeps its day as written). */
const day = (v: PlainValue | undefined) => {
  const start = v && typeof v === 'object' && !Array.isArray(v) ? v.start : typeof v === 'string' ? v : null;
  return start && /^\d{4}-\d{2}-\d{2}/.test(start) ? start.slice(0, 10) : null;
};

/** Canonical fields → property values keyed by property name, with the contact id for idempotent creates. */
export function toNotionValues(c: ContactFields, contactId: string, p: P = NOTION_CONTACT_PROPERTIES): Record<string, PlainValue> {
  const out: Record<string, PlainValue> = { [p.canonical_name]: c.canonical_name, [p.kith_id]: contactId };
  const set = (name: string | null, v: PlainValue) => {
    if (name != null) out[name] = v;
  };
  set(p.emails, lines(c.emails));
  set(p.phones, lines(c.phones));
  set(p.company, c.company ?? '');
  set(p.job_title, c.job_title ?? '');
  set(p.category_code, c.category_code ?? null);
  set(p.subcategory_code, c.subcategory_code ?? '');
  set(p.notes, c.notes ?? '');
  set(p.tags, [...new Set((c.tags ?? []).map((t) => t.trim()).filter(Boolean))]);
  set(p.last_contacted, c.last_contacted ? { start: c.last_contacted } : null);
  set(p.linkedin_url, c.linkedin_url?.trim() || null);
  return out;
}

/** A page's property values in canonical field names (only what the page holds). */
export function fromNotionValues(values: Record<string, PlainValue | undefined>, p: P = NOTION_CONTACT_PROPERTIES): Partial<ContactFields> {
  const fields: Partial<ContactFields> = {};
  if (p.emails != null) fields.emails = unlines(values[p.emails]);
  if (p.phones != null) fields.phones = unlines(values[p.phones]);
  if (p.company != null) fields.company = text(values[p.company]);
  if (p.job_title != null) fields.job_title = text(values[p.job_title]);
  if (p.category_code != null) {
    const category = text(values[p.category_code]);
    fields.category_code = category && (CATEGORY_CODES as readonly string[]).includes(category) ? (category as ContactFields['category_code']) : null;
  }
  if (p.subcategory_code != null) fields.subcategory_code = text(values[p.subcategory_code]);
  if (p.notes != null) fields.notes = text(values[p.notes]);
  if (p.tags != null) fields.tags = [...new Set(list(values[p.tags]))];
  if (p.last_contacted != null) fields.last_contacted = day(values[p.last_contacted]);
  if (p.linkedin_url != null) fields.linkedin_url = text(values[p.linkedin_url]);
  const name = text(values[p.canonical_name]);
  if (name) fields.canonical_name = name;
  return fields;
}

export function notionSystemContact(page: NotionPage, p: P = NOTION_CONTACT_PROPERTIES): SystemContact {
  const values = Object.fromEntries(Object.entries(page.properties).map(([k, v]) => [k, v.value]));
  const kithId = text(values[p.kith_id]);
  return {
    system: 'notion',
    externalId: page.id,
    ...(kithId ? { contactId: kithId } : {}),
    fields: fromNotionValues(values, p),
    updatedAt: page.lastEditedTime,
    deletedAt: page.inTrash ? page.lastEditedTime : null,
  };
}

/** The canonical record as Notion will hold it: round-tripped through both mappings. */
export function notionView(c: ContactFields, p: P = NOTION_CONTACT_PROPERTIES): Partial<ContactFields> {
  return fromNotionValues(toNotionValues(c, '', p), p);
}
