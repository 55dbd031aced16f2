import { CATEGORY_CODES, type ContactFields } from '../../hub/domain/canonical-contact.js';
import type { ContactFieldKey } from '../../hub/domain/contact-content.js';
import type { SystemContact } from '../../hub/ports/contact-system.js';
import type { NotionPage, PlainValue } from './notion-pages.port.js';

/**
 * Pure mapping canonical ↔ a page of the Notion contacts data source. The data source needs
 * these properties (names as below): Name (title), Kith ID (rich_text: Kith's contact id, so a
 * retried create finds its page), Emails and Phones (rich_text, one per line), Company, Job
 * title, Subcategory, Notes (rich_text) and Category (select: a category code, A–H or X).
 * `notionView` is what Notion will hand back for a canonical record: compare and hash with it.
 */
export const NOTION_CONTACT_PROPERTIES = {
  name: 'Name',
  kithId: 'Kith ID',
  emails: 'Emails',
  phones: 'Phones',
  company: 'Company',
  jobTitle: 'Job title',
  category: 'Category',
  subcategory: 'Subcategory',
  notes: 'Notes',
} as const;

const P = NOTION_CONTACT_PROPERTIES;

export const NOTION_FIELD_KEYS = ['canonical_name', 'emails', 'phones', 'company', 'job_title', 'category_code', 'subcategory_code', 'notes'] as const satisfies readonly ContactFieldKey[];

const lines = (v: readonly string[]) => v.map((s) => s.trim()).filter(Boolean).join('\n');
const unlines = (v: PlainValue | undefined) => (typeof v === 'string' ? v.split('\n').map((s) => s.trim()).filter(Boolean) : []);
const text = (v: PlainValue | undefined) => (typeof v === 'string' && v.trim() ? v.trim() : null);

/** Canonical fields → property values keyed by property name, with the contact id for idempotent creates. */
export function toNotionValues(c: ContactFields, contactId: string): Record<string, PlainValue> {
  return {
    [P.name]: c.canonical_name,
    [P.kithId]: contactId,
    [P.emails]: lines(c.emails),
    [P.phones]: lines(c.phones),
    [P.company]: c.company ?? '',
    [P.jobTitle]: c.job_title ?? '',
    [P.category]: c.category_code ?? null,
    [P.subcategory]: c.subcategory_code ?? '',
    [P.notes]: c.notes ?? '',
  };
}

/** A page's property values in canonical field names (only what the page holds). */
export function fromNotionValues(values: Record<string, PlainValue | undefined>): Partial<ContactFields> {
  const category = text(values[P.category]);
  const fields: Partial<ContactFields> = {
    emails: unlines(values[P.emails]),
    phones: unlines(values[P.phones]),
    company: text(values[P.company]),
    job_title: text(values[P.jobTitle]),
    category_code: category && (CATEGORY_CODES as readonly string[]).includes(category) ? (category as ContactFields['category_code']) : null,
    subcategory_code: text(values[P.subcategory]),
    notes: text(values[P.notes]),
  };
  const name = text(values[P.name]);
  if (name) fields.canonical_name = name;
  return fields;
}

export function notionSystemContact(page: NotionPage): SystemContact {
  const values = Object.fromEntries(Object.entries(page.properties).map(([k, v]) => [k, v.value]));
  const kithId = text(values[P.kithId]);
  return {
    system: 'notion',
    externalId: page.id,
    ...(kithId ? { contactId: kithId } : {}),
    fields: fromNotionValues(values),
    updatedAt: page.lastEditedTime,
    deletedAt: page.inTrash ? page.lastEditedTime : null,
  };
}

/** The canonical record as Notion will hold it: round-tripped through both mappings. */
export function notionView(c: ContactFields): Partial<ContactFields> {
  return fromNotionValues(toNotionValues(c, ''));
}
