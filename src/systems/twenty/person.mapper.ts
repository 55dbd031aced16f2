import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { ContactFields } from '../../hub/domain/canonical-contact.js';
import type { ContactFieldKey } from '../../hub/domain/contact-content.js';
import type { SystemContact } from '../../hub/ports/contact-system.js';
import { categoryFromText, categoryText } from '../../hub/domain/category-code.js';
import { type TwentyPerson, type TwentyPersonInput, twentyPerson } from './twenty-person.js';

/**
 * Pure mapping canonical ↔ Twenty person. Twenty holds names, emails, phones, job title, the
 * LinkedIn profile (its standard `linkedinLink`, primaryLinkUrl) and a company (by id); it has no notes or llm_context, and categories only in a custom text field
 * of the workspace when one is named (`TwentyMapping.categoryField`, TWENTY_CATEGORY_FIELD:
 * `G` or `G.2`). `canonical_name` is derived
 * from the name on the way back, so a round trip is stable: use `twentyView` (what Twenty
 * will hand back for a canonical record) to compare or hash, never the raw canonical fields.
 */
export const TWENTY_FIELD_KEYS = ['canonical_name', 'first_name', 'last_name', 'emails', 'phones', 'company', 'job_title', 'linkedin_url'] as const satisfies readonly ContactFieldKey[];

/** How this workspace's people hold what Twenty has no standard field for. */
export interface TwentyMapping {
  /** A custom text field of Twenty's person holding the category code (`G`, `G.2`); unset: categories stay out of Twenty. */
  categoryField?: string;
}

/** The canonical fields Twenty holds under a mapping. */
export function twentyFieldKeys(m: TwentyMapping = {}): readonly ContactFieldKey[] {
  return m.categoryField ? [...TWENTY_FIELD_KEYS, 'category_code', 'subcategory_code'] : TWENTY_FIELD_KEYS;
}

type Phone = { number: string; countryCode: string; callingCode: string };

/** '+14155550123' → number 4155550123, calling code +1, country US; anything else stays raw. */
export function splitPhone(raw: string): Phone {
  const text = raw.trim();
  if (text.startsWith('+')) {
    const parsed = parsePhoneNumberFromString(text);
    if (parsed) return { number: parsed.nationalNumber, countryCode: parsed.country ?? '', callingCode: `+${parsed.countryCallingCode}` };
  }
  return { number: text, countryCode: '', callingCode: '' };
}

export function joinPhone(p: { number?: string | null; callingCode?: string | null }): string | undefined {
  const number = p.number?.trim();
  if (!number) return undefined;
  const calling = p.callingCode?.trim();
  if (!calling) return number;
  return `${calling.startsWith('+') ? calling : `+${calling}`}${number}`;
}

function splitName(c: Pick<ContactFields, 'canonical_name' | 'first_name' | 'last_name'>): { firstName: string; lastName: string } {
  if (c.first_name != null || c.last_name != null) return { firstName: c.first_name ?? '', lastName: c.last_name ?? '' };
  const parts = c.canonical_name.trim().split(/\s+/);
  return { firstName: parts[0] ?? '', lastName: parts.slice(1).join(' ') };
}

export function toTwentyPerson(c: ContactFields, companyId: string | null, id?: string, m: TwentyMapping = {}): TwentyPersonInput {
  const emails = c.emails.map((e) => e.trim()).filter(Boolean);
  const phones = c.phones.map(splitPhone).filter((p) => p.number !== '');
  const [primary, ...others] = phones;
  return {
    ...(id ? { id } : {}),
    name: splitName(c),
    emails: { primaryEmail: emails[0] ?? '', additionalEmails: emails.slice(1) },
    phones: {
      primaryPhoneNumber: primary?.number ?? '',
      primaryPhoneCountryCode: primary?.countryCode ?? '',
      primaryPhoneCallingCode: primary?.callingCode ?? '',
      additionalPhones: others,
    },
    jobTitle: c.job_title ?? '',
    linkedinLink: { primaryLinkUrl: c.linkedin_url?.trim() ?? '', primaryLinkLabel: '' },
    companyId,
    ...(m.categoryField ? { [m.categoryField]: categoryText(c) } : {}),
  };
}

export interface MappedTwentyPerson {
  fields: Partial<ContactFields>;
  updatedAt: string;
  deletedAt: string | null;
}

/** A Twenty person in canonical field names; `companyName` is resolved by the caller. */
export function fromTwentyPerson(p: TwentyPerson, companyName: string | null, m: TwentyMapping = {}): MappedTwentyPerson {
  const firstName = p.name?.firstName?.trim() || null;
  const lastName = p.name?.lastName?.trim() || null;
  const emails = [p.emails?.primaryEmail, ...(p.emails?.additionalEmails ?? [])].map((e) => e?.trim()).filter((e): e is string => Boolean(e));
  const phones = [
    joinPhone({ number: p.phones?.primaryPhoneNumber, callingCode: p.phones?.primaryPhoneCallingCode }),
    ...(p.phones?.additionalPhones ?? []).map(joinPhone),
  ].filter((x): x is string => x !== undefined);
  const displayName = [firstName, lastName].filter(Boolean).join(' ') || emails[0];
  const fields: Partial<ContactFields> = {
    first_name: firstName,
    last_name: lastName,
    emails,
    phones,
    company: companyName,
    job_title: p.jobTitle?.trim() || null,
    linkedin_url: p.linkedinLink?.primaryLinkUrl?.trim() || null,
    ...(m.categoryField ? categoryFromText(typeof p[m.categoryField] === 'string' ? (p[m.categoryField] as string) : null) : {}),
  };
  if (displayName) fields.canonical_name = displayName;
  return { fields, updatedAt: p.updatedAt, deletedAt: p.deletedAt ?? null };
}

/** A Twenty person as a SystemContact, with its company's name resolved by the caller. */
export function twentySystemContact(p: TwentyPerson, companyName: string | null, mapping: TwentyMapping = {}): SystemContact {
  const m = fromTwentyPerson(p, companyName, mapping);
  return { system: 'twenty', externalId: p.id, contactId: p.id, fields: m.fields, updatedAt: m.updatedAt, deletedAt: m.deletedAt };
}

/**
 * A webhook's person record as a SystemContact when it maps with no lookup: it has no company,
 * or carries the company's name. Undefined when the company must be fetched by id, or when the
 * record does not parse (the worker then reads the person and reports what is wrong).
 */
export function twentyRecordWithoutLookup(record: unknown, m: TwentyMapping = {}): SystemContact | undefined {
  const r = twentyPerson.safeParse(record);
  if (!r.success) return undefined;
  const p = r.data;
  if (p.company?.name != null) return twentySystemContact(p, p.company.name, m);
  return p.companyId ? undefined : twentySystemContact(p, null, m);
}

/** The canonical record as Twenty will hold it: round-tripped through both mappings. */
export function twentyView(c: ContactFields, m: TwentyMapping = {}): Partial<ContactFields> {
  const person = toTwentyPerson(c, null, undefined, m);
  return fromTwentyPerson({ ...person, id: 'view', updatedAt: '' }, c.company?.trim() || null, m).fields;
}
