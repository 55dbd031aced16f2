import type { CanonicalContact, ContactFields, SystemName } from './canonical-contact.js';
import type { SystemContact } from '../ports/contact-system.js';
import { CONTACT_FIELD_KEYS, hashSystemFields, projectFields } from './contact-content.js';
import { twentyView } from '../../systems/twenty/person.mapper.js';

/**
 * The canonical record as one system will hand it back: Twenty holds a subset through a lossy
 * mapping (round-tripped here), every other system holds every field as is.
 */
export function systemView(system: SystemName, c: CanonicalContact): Partial<ContactFields> {
  if (system === 'twenty') return twentyView(c);
  return projectFields(c, CONTACT_FIELD_KEYS);
}

/** What the link table stores after Kith wrote `c` to `system` (compared with linkHashOf on the way back). */
export function linkHashFor(system: SystemName, c: CanonicalContact): string {
  return hashSystemFields(systemView(system, c), c.deleted_at);
}

/** The same hash computed from what a system reports (webhook fetch or listChanged). */
export function linkHashOf(s: SystemContact): string {
  return hashSystemFields(s.fields, s.deletedAt);
}
