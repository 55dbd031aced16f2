import { z } from 'zod';
import { SYSTEM_NAMES, type SystemName } from './canonical-contact.js';
import { CONTACT_FIELD_KEYS, type ContactFieldKey } from './contact-content.js';

/**
 * Which system owns which canonical field (Google is the truth for contact details and the
 * LinkedIn profile, the CRM for CRM data). A field missing from the table is owned by no one. Declared
 * as data so there is one place to read and one to change (KITH_FIELD_OWNERSHIP).
 */
export type FieldOwnership = Readonly<Partial<Record<ContactFieldKey, SystemName>>>;

export const DEFAULT_FIELD_OWNERSHIP: FieldOwnership = Object.freeze({
  canonical_name: 'google',
  first_name: 'google',
  last_name: 'google',
  emails: 'google',
  phones: 'google',
  company: 'notion',
  job_title: 'twenty',
  category_code: 'notion',
  subcategory_code: 'notion',
  notes: 'notion',
  llm_context: 'kith',
  linkedin_url: 'google',
  tags: 'notion',
  last_contacted: 'notion',
});

/** File form: `{ <system>: [<field>, …] }`, e.g. `{ "google": ["emails", "phones"], "twenty": ["company"] }`. */
export const ownershipFileSchema = z.partialRecord(z.enum(SYSTEM_NAMES), z.array(z.enum(CONTACT_FIELD_KEYS)));

/**
 * Turn the file form into the table. The file replaces the default entirely; a field listed
 * under two systems is an error naming the field. Throws with a message naming the problem.
 */
export function parseOwnershipTable(input: unknown): FieldOwnership {
  const parsed = ownershipFileSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : 'top level';
    throw new Error(`${where}: ${issue.message} (systems: ${SYSTEM_NAMES.join(', ')}; fields: ${CONTACT_FIELD_KEYS.join(', ')})`);
  }
  const table: Partial<Record<ContactFieldKey, SystemName>> = {};
  for (const [system, fields] of Object.entries(parsed.data) as [SystemName, ContactFieldKey[]][]) {
    for (const f of fields) {
      const prior = table[f];
      if (prior && prior !== system) throw new Error(`${f}: owned by both ${prior} and ${system}`);
      table[f] = system;
    }
  }
  return Object.freeze(table);
}

/**
 * The default table names Notion as the CRM (company, notes, category, tags, last contacted)
 * and Twenty for the job title. A deployment without Notion gives its CRM fields to Twenty; one
 * without Twenty gives the job title to Notion. A table from a file is taken as written.
 */
export function defaultOwnershipFor(active: Iterable<SystemName>): FieldOwnership {
  const on = new Set(active);
  if (on.has('twenty') && on.has('notion')) return DEFAULT_FIELD_OWNERSHIP;
  const crm: SystemName = on.has('notion') ? 'notion' : 'twenty';
  const out: Partial<Record<ContactFieldKey, SystemName>> = {};
  for (const [k, owner] of Object.entries(DEFAULT_FIELD_OWNERSHIP) as [ContactFieldKey, SystemName][]) out[k] = owner === 'twenty' || owner === 'notion' ? crm : owner;
  return Object.freeze(out);
}

/**
 * The table restricted to systems that actually feed Kith: a field whose owner is not active
 * (no Google contacts source configured, say) becomes unowned, so edits to it from any system
 * are not dropped forever. The lead passes the configured systems.
 */
export function effectiveOwnership(table: FieldOwnership, active: Iterable<SystemName>): FieldOwnership {
  const on = new Set(active);
  const out: Partial<Record<ContactFieldKey, SystemName>> = {};
  for (const k of CONTACT_FIELD_KEYS) {
    const owner = table[k];
    if (owner && on.has(owner)) out[k] = owner;
  }
  return Object.freeze(out);
}

/** May `system` change `field` under `table`? True when it owns the field or no one does. */
export function mayWrite(table: FieldOwnership, field: ContactFieldKey, system: SystemName): boolean {
  const owner = table[field];
  return owner === undefined || owner === system;
}
