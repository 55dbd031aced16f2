import type { ContactFields } from '../../../hub/domain/canonical-contact.js';
import type { ContactFieldKey } from '../../../hub/domain/contact-content.js';
import type { SystemContact } from '../../../hub/ports/contact-system.js';
import type { Person } from './people-client.js';

/**
 * Pure mapping canonical ↔ a Google contact (People `Person`). Google holds the name (the whole
 * one as `unstructuredName`, with given and family names), emails, phones, and company and title
 * as its first organisation; Kith's contact id rides along in `clientData` (key KITH_ID_KEY) so a
 * retried create finds the contact it made. `googleView` is what Google will hand back for a
 * canonical record: compare and hash with it.
 */
export const KITH_ID_KEY = 'kith_contact_id';

export const GOOGLE_FIELD_KEYS = ['canonical_name', 'first_name', 'last_name', 'emails', 'phones', 'company', 'job_title'] as const satisfies readonly ContactFieldKey[];
type GoogleFields = Pick<ContactFields, (typeof GOOGLE_FIELD_KEYS)[number]>;

const text = (v: string | null | undefined) => (v?.trim() ? v.trim() : null);
const primaryFirst = <T extends { metadata?: { primary?: boolean | null } | null }>(xs: readonly T[] | null | undefined): T[] =>
  [...(xs ?? [])].sort((a, b) => Number(Boolean(b.metadata?.primary)) - Number(Boolean(a.metadata?.primary)));

/** Canonical fields → the parts of a Person Kith writes (names, emails, phones, organisation, its id). */
export function toPerson(c: Partial<GoogleFields>, contactId: string): Person {
  const name = text(c.canonical_name);
  const given = text(c.first_name);
  const family = text(c.last_name);
  const company = text(c.company);
  const title = text(c.job_title);
  return {
    names: name || given || family ? [{ ...(name ? { unstructuredName: name } : {}), ...(given ? { givenName: given } : {}), ...(family ? { familyName: family } : {}) }] : [],
    emailAddresses: (c.emails ?? []).map((value) => value.trim()).filter(Boolean).map((value) => ({ value })),
    phoneNumbers: (c.phones ?? []).map((value) => value.trim()).filter(Boolean).map((value) => ({ value })),
    organizations: company || title ? [{ ...(company ? { name: company } : {}), ...(title ? { title } : {}) }] : [],
    ...(contactId ? { clientData: [{ key: KITH_ID_KEY, value: contactId }] } : {}),
  };
}

/** A Person's fields in canonical names (only what Google holds). */
export function fromPerson(p: Person): Partial<GoogleFields> {
  const n = primaryFirst(p.names)[0];
  const org = primaryFirst(p.organizations)[0];
  const given = text(n?.givenName);
  const family = text(n?.familyName);
  const name = text(n?.unstructuredName) ?? text(n?.displayName) ?? ([given, family].filter(Boolean).join(' ') || null);
  const fields: Partial<GoogleFields> = {
    first_name: given,
    last_name: family,
    emails: primaryFirst(p.emailAddresses).flatMap((e) => (text(e.value) ? [text(e.value)!] : [])),
    phones: primaryFirst(p.phoneNumbers).flatMap((x) => (text(x.value) ? [text(x.value)!] : [])),
    company: text(org?.name),
    job_title: text(org?.title),
  };
  if (name) fields.canonical_name = name;
  return fields;
}

export function kithIdOf(p: Person): string | undefined {
  return text(p.clientData?.find((d) => d.key === KITH_ID_KEY)?.value) ?? undefined;
}

/** When Google last changed the contact (its contact source's updateTime). */
export function updateTimeOf(p: Person): string | undefined {
  const times = (p.metadata?.sources ?? []).map((s) => s.updateTime ?? '').filter((t) => !Number.isNaN(Date.parse(t)));
  return times.sort().at(-1);
}

export function googleSystemContact(p: Person, now: () => string): SystemContact {
  const kithId = kithIdOf(p);
  const at = updateTimeOf(p) ?? now();
  return {
    system: 'google',
    externalId: p.resourceName ?? '',
    ...(kithId ? { contactId: kithId } : {}),
    fields: p.metadata?.deleted ? {} : fromPerson(p),
    updatedAt: at,
    deletedAt: p.metadata?.deleted ? at : null,
  };
}

/** The canonical record as Google will hold it: round-tripped through both mappings. */
export function googleView(c: Partial<GoogleFields>): Partial<ContactFields> {
  return fromPerson(toPerson(c, ''));
}

/**
 * A write refused for a stale etag, merged with the edit made in Google meanwhile: every field
 * Google changed since `base` (the copy the write was based on) keeps Google's value, every other
 * field takes Kith's. Google's edit is never overwritten; it reaches the canonical record when the
 * hub next reads the contact.
 */
export function mergeGoogleEdit(base: Partial<GoogleFields>, theirs: Partial<GoogleFields>, ours: Partial<GoogleFields>): Partial<GoogleFields> {
  const out: Partial<GoogleFields> = {};
  for (const k of GOOGLE_FIELD_KEYS) {
    const changed = JSON.stringify(theirs[k] ?? null) !== JSON.stringify(base[k] ?? null);
    (out as Record<string, unknown>)[k] = changed ? theirs[k] : ours[k];
  }
  return out;
}
