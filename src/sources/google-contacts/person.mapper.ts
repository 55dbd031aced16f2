import type { people_v1 } from '@googleapis/people';
import { cleanEmails, cleanPhones, joinName, linkedInProfile } from '../common/contact-fields.js';
import type { ContactEvent } from '../source-event.js';

type Person = people_v1.Schema$Person;

/** What one listed person is for the address book: a contact, a removal, or a skipped record. */
export type MappedPerson = { kind: 'contact'; event: ContactEvent } | { kind: 'removed'; itemId: string } | { kind: 'skip'; reason: string };

const primaryFirst = <T extends { metadata?: { primary?: boolean | null } | null }>(xs: readonly T[] | null | undefined): T[] =>
  [...(xs ?? [])].sort((a, b) => Number(Boolean(b.metadata?.primary)) - Number(Boolean(a.metadata?.primary)));

/** The name as the Google Contacts export writes it: display name, else its parts joined. */
export function personName(p: Person): string | undefined {
  const n = primaryFirst(p.names)[0];
  if (!n) return undefined;
  return n.displayName?.trim() || joinName(n.honorificPrefix ?? undefined, n.givenName ?? undefined, n.middleName ?? undefined, n.familyName ?? undefined, n.honorificSuffix ?? undefined) || n.unstructuredName?.trim() || undefined;
}

/**
 * One person of `people.connections.list` → the ContactEvent the vCard and CSV sources give for
 * the same card (same fields, same cleaners), keyed by its resource name, so the graph's identity
 * rules (same email or phone → same person) put both on one person. A deleted person
 * (`metadata.deleted`, in a sync) is a removal; one with no name, email or phone is skipped.
 */
export function mapPerson(p: Person): MappedPerson {
  const id = p.resourceName ?? '';
  if (!/^people\/[^/]+$/.test(id)) return { kind: 'skip', reason: `person without a resource name (${JSON.stringify(id)})` };
  if (p.metadata?.deleted) return { kind: 'removed', itemId: id };
  const name = personName(p);
  const emails = cleanEmails(primaryFirst(p.emailAddresses).map((e) => e.value ?? ''));
  const phones = cleanPhones(primaryFirst(p.phoneNumbers).map((x) => x.value ?? x.canonicalForm ?? ''));
  if (!name && !emails.length && !phones.length) return { kind: 'skip', reason: `${id} has no name, email or phone` };
  const org = primaryFirst(p.organizations)[0];
  const handles = [...new Set((p.urls ?? []).map((u) => linkedInProfile(u.value ?? undefined)).filter((h): h is string => h !== null))];
  const event: ContactEvent = { kind: 'contact', sourceType: 'google-contacts', externalId: id, emails, phones };
  if (name) event.name = name;
  if (org?.name?.trim()) event.company = org.name.trim();
  if (org?.title?.trim()) event.jobTitle = org.title.trim();
  if (handles.length) event.handles = handles;
  const updated = (p.metadata?.sources ?? []).map((s) => Date.parse(s.updateTime ?? '')).filter((t) => !Number.isNaN(t));
  if (updated.length) event.timestamp = Math.max(...updated);
  return { kind: 'contact', event };
}
