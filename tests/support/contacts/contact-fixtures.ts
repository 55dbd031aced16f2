import { type CanonicalContact, canonicalContact } from '../../../src/hub/domain/canonical-contact.js';
import type { SystemContact } from '../../../src/hub/ports/contact-system.js';

export const ID1 = '11111111-1111-4111-8111-111111111111';
export const ID2 = '22222222-2222-4222-8222-222222222222';
export const ID3 = '33333333-3333-4333-8333-333333333333';

type Overrides = Partial<Omit<CanonicalContact, 'sync_metadata'>> & { sync_metadata?: Partial<CanonicalContact['sync_metadata']> };

/** A valid canonical contact; overrides replace fields, sync_metadata is merged. */
export function contact(over: Overrides = {}): CanonicalContact {
  const { sync_metadata, ...rest } = over;
  return canonicalContact.parse({
    contact_id: ID1,
    canonical_name: 'Ada Lovelace',
    first_name: 'Ada',
    last_name: 'Lovelace',
    emails: ['ada@example.org'],
    phones: ['+14155550123'],
    company: 'Analytical Engines',
    job_title: 'Mathematician',
    category_code: 'B',
    subcategory_code: 'B1',
    notes: null,
    llm_context: null,
    ...rest,
    sync_metadata: { version: 3, last_updated: '2026-01-10T10:00:00.000Z', last_updated_by: 'kith', ...sync_metadata },
  });
}

export function systemCopy(c: CanonicalContact, system: SystemContact['system'], over: Partial<SystemContact> = {}): SystemContact {
  const { contact_id, sync_metadata, deleted_at, ...fields } = c;
  return {
    system,
    externalId: `${system}-${contact_id}`,
    contactId: contact_id,
    fields,
    version: sync_metadata.version,
    updatedAt: sync_metadata.last_updated,
    deletedAt: deleted_at,
    ...over,
  };
}
