import type { CanonicalContact, ContactFields } from './canonical-contact.js';
import { CONTACT_FIELD_KEYS, hashSystemFields, projectFields } from './contact-content.js';
import type { SystemContact } from './system-contact.js';

/** What a system says about itself: the canonical record as it will hand it back. */
export interface SystemView {
  view(contact: CanonicalContact): Partial<ContactFields>;
}

/** The view of a system that holds every canonical field as is. */
export function wholeView(c: CanonicalContact): Partial<ContactFields> {
  return projectFields(c, CONTACT_FIELD_KEYS);
}

/** What the link table stores after Kith wrote `c` to `system` (compared with linkHashOf on the way back). */
export function linkHashFor(system: SystemView, c: CanonicalContact): string {
  return hashSystemFields(system.view(c), c.deleted_at);
}

/** The same hash computed from what a system reports (webhook fetch or listChanged). */
export function linkHashOf(s: SystemContact): string {
  return hashSystemFields(s.fields, s.deletedAt);
}
