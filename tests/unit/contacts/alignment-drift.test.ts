import { describe, expect, it } from 'vitest';
import { compareContacts, validateContact } from '../../../src/hub/domain/alignment-validator.js';
import { driftReport } from '../../../src/hub/domain/drift-report.js';
import { contact, ID1, ID2, ID3, systemCopy } from '../../support/contacts/contact-fixtures.js';

describe('validateContact', () => {
  it('a valid record has no problems', () => {
    expect(validateContact(contact())).toEqual([]);
  });
  it('names every missing required field', () => {
    expect(validateContact({}).map((p) => p.field)).toEqual(['contact_id', 'canonical_name', 'sync_metadata.version']);
    expect(validateContact({ ...contact(), sync_metadata: { version: 0, last_updated: 'yesterday', last_updated_by: 'hubspot' } }).map((p) => p.field)).toEqual([
      'sync_metadata.version',
      'sync_metadata.last_updated',
      'sync_metadata.last_updated_by',
    ]);
  });
  it('checks categories, normalised emails and phones, and scales', () => {
    const bad = { ...contact(), category_code: 'Z', subcategory_code: 'B1', emails: ['Ada@Example.org', 'nope', 'x@y.org', 'x@y.org'], phones: ['(415) 555-0123'], llm_context: { closeness_level: 11 } };
    expect(validateContact(bad)).toEqual([
      { field: 'category_code', message: 'must be A–H or X' },
      { field: 'subcategory_code', message: "must start with category_code 'Z'" },
      { field: 'emails[0]', message: "'Ada@Example.org' is not normalised (want 'ada@example.org')" },
      { field: 'emails[1]', message: "'nope' is not an email address" },
      { field: 'emails[3]', message: "'x@y.org' is listed twice" },
      { field: 'phones[0]', message: "'(415) 555-0123' is not E.164 (want '+14155550123')" },
      { field: 'llm_context.closeness_level', message: 'must be an integer 1–10' },
    ]);
    expect(validateContact({ ...contact(), category_code: 'C', subcategory_code: 'B1' })).toEqual([{ field: 'subcategory_code', message: "must start with category_code 'C'" }]);
  });
});

describe('compareContacts', () => {
  it('ignores email case, phone format, array order, whitespace and empty forms', () => {
    const a = contact({ emails: ['ada@example.org', 'b@example.org'], phones: ['+14155550123'], notes: null, llm_context: { key_interests: ['math', 'poetry'] } });
    const b = contact({ emails: ['B@Example.org', ' Ada <ADA@example.org>'], phones: ['(415) 555-0123'], notes: '  ', llm_context: { key_interests: ['poetry', 'math'] } });
    expect(compareContacts(a, b)).toEqual([]);
  });
  it('lists the fields that differ, and deletion', () => {
    const a = contact();
    const b = contact({ company: 'Other', phones: ['+14155550124'], deleted_at: '2026-01-01T00:00:00Z' });
    expect(compareContacts(a, b)).toEqual([
      { field: 'phones', a: ['+14155550123'], b: ['+14155550124'] },
      { field: 'company', a: 'Analytical Engines', b: 'Other' },
      { field: 'deleted', a: null, b: '2026-01-01T00:00:00Z' },
    ]);
    expect(compareContacts(a, b, { fields: ['company'] }).map((d) => d.field)).toEqual(['company', 'deleted']);
  });
});

describe('driftReport', () => {
  const c1 = contact({ contact_id: ID1 });
  const c2 = contact({ contact_id: ID2, canonical_name: 'Bob' });
  const c3 = contact({ contact_id: ID3, canonical_name: 'Cy', deleted_at: '2026-01-01T00:00:00Z' });
  it('per system share of contacts that differ, on the fields each system holds', () => {
    const { llm_context: _x, ...twentyFields } = systemCopy(c1, 'twenty').fields;
    const records = [
      systemCopy(c1, 'supabase'),
      systemCopy(c2, 'supabase', { fields: { ...systemCopy(c2, 'supabase').fields, company: 'Drifted' } }),
      systemCopy(c3, 'supabase'),
      systemCopy(c1, 'twenty', { fields: twentyFields }),
      systemCopy(c2, 'twenty', { contactId: undefined }),
    ];
    const report = driftReport([c1, c2, c3], records, { systems: ['local'] });
    expect(report.map((r) => [r.system, r.expected, r.differing, r.missing, r.orphans, r.driftPct])).toEqual([
      ['local', 2, 2, 2, 0, 100],
      ['supabase', 3, 1, 0, 0, 33.33],
      ['twenty', 2, 1, 1, 1, 50],
    ]);
    expect(report[1]!.samples).toEqual([{ contactId: ID2, differences: [{ field: 'company', a: 'Analytical Engines', b: 'Drifted' }] }]);
  });
  it('a live copy of a deleted contact is drift', () => {
    const [r] = driftReport([c3], [systemCopy(c3, 'supabase', { deletedAt: null })]);
    expect(r).toMatchObject({ expected: 1, differing: 1, driftPct: 100 });
  });
});
