import { describe, expect, it } from 'vitest';
import type { CanonicalContact } from '../../../src/hub/domain/canonical-contact.js';
import type { SystemContact } from '../../../src/hub/ports/contact-system.js';
import { carriedRecordSuffices } from '../../../src/hub/domain/contact-merge.js';

const canonical: CanonicalContact = {
  contact_id: '6f1c2a4e-0000-4000-8000-000000000001', canonical_name: 'Ada Lovelace', first_name: 'Ada', last_name: 'Lovelace',
  emails: ['ada@example.org'], phones: [], company: null, job_title: 'Analyst', category_code: null, subcategory_code: null,
  notes: null, llm_context: null, deleted_at: null,
  sync_metadata: { version: 3, last_updated: '2026-03-01T10:00:00.000Z', last_updated_by: 'kith' },
};

function carried(over: Partial<SystemContact> & { job_title?: string } = {}): SystemContact {
  const { job_title, ...rest } = over;
  return {
    system: 'supabase', externalId: canonical.contact_id, contactId: canonical.contact_id,
    fields: { canonical_name: 'Ada Lovelace', first_name: 'Ada', last_name: 'Lovelace', emails: ['ada@example.org'], phones: [], job_title: job_title ?? 'Engineer' },
    version: 3, updatedAt: '2026-03-01T10:00:00.000Z', deletedAt: null, ...rest,
  };
}

describe('carriedRecordSuffices: when a webhook record is merged without reading the system back', () => {
  it('no canonical record yet: the carried record is all there is', () => {
    expect(carriedRecordSuffices(undefined, carried())).toBe(true);
  });
  it('a higher version beats the canonical record', () => {
    expect(carriedRecordSuffices(canonical, carried({ version: 4 }))).toBe(true);
  });
  it('a lower version may be a stale event: read the system', () => {
    expect(carriedRecordSuffices(canonical, carried({ version: 2, updatedAt: '2026-03-02T00:00:00.000Z' }))).toBe(false);
  });
  it('equal version: a later update suffices, an earlier one does not', () => {
    expect(carriedRecordSuffices(canonical, carried({ updatedAt: '2026-03-01T10:00:01.000Z' }))).toBe(true);
    expect(carriedRecordSuffices(canonical, carried({ updatedAt: '2026-03-01T09:59:59.000Z' }))).toBe(false);
  });
  it('a record without a version (Twenty) is judged by time', () => {
    expect(carriedRecordSuffices(canonical, carried({ system: 'twenty', version: undefined, updatedAt: '2026-03-02T00:00:00.000Z' }))).toBe(true);
    expect(carriedRecordSuffices(canonical, carried({ system: 'twenty', version: undefined, updatedAt: '2026-02-01T00:00:00.000Z' }))).toBe(false);
  });
  it('the same content suffices whatever its metadata (nothing to decide)', () => {
    expect(carriedRecordSuffices(canonical, carried({ job_title: 'Analyst', version: 1, updatedAt: '2020-01-01T00:00:00.000Z' }))).toBe(true);
  });
  it('equal version and time with different content is a conflict: read the system', () => {
    expect(carriedRecordSuffices(canonical, carried())).toBe(false);
  });
});
