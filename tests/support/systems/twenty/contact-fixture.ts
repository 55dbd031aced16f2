import { randomUUID } from 'node:crypto';
import { type CanonicalContact, canonicalContact } from '../../../../src/hub/domain/canonical-contact.js';

/** A valid canonical contact (parsed through the real schema) with overrides. */
export function makeContact(over: Partial<CanonicalContact> & { n?: number } = {}): CanonicalContact {
  const { n = 1, ...rest } = over;
  return canonicalContact.parse({
    contact_id: randomUUID(),
    canonical_name: `Person ${n} Example`,
    first_name: `Person${n}`,
    last_name: 'Example',
    emails: [`person${n}@example.com`],
    phones: ['+14155550100'],
    company: null,
    job_title: 'Engineer',
    sync_metadata: { version: 1, last_updated: '2026-01-27T10:00:00.000Z', last_updated_by: 'kith' },
    ...rest,
  });
}
