import { describe, expect, it } from 'vitest';
import { defaultOwnershipFor, DEFAULT_FIELD_OWNERSHIP } from '../../../../src/hub/domain/field-ownership.js';
import { fromNotionValues, notionView, toNotionValues } from '../../../../src/systems/notion/contact.mapper.js';
import { contact, ID1 } from '../../../support/contacts/contact-fixtures.js';

describe('Notion contact mapper', () => {
  it('round-trips the fields Notion holds and nothing else', () => {
    const c = contact({ emails: ['a@x.org', 'b@x.org'], phones: ['+14155550123'], notes: 'two\nlines' });
    const values = toNotionValues(c, ID1);
    expect(values).toMatchObject({ Name: 'Ada Lovelace', 'Kith ID': ID1, Emails: 'a@x.org\nb@x.org', Category: 'B', Notes: 'two\nlines' });
    expect(fromNotionValues(values)).toEqual(notionView(c));
    expect(notionView(c)).not.toHaveProperty('llm_context');
    expect(notionView(c)).not.toHaveProperty('first_name');
  });
  it('reads an unknown category as none and empty text as null', () => {
    expect(fromNotionValues({ Category: 'Friends', Company: '  ', Name: '' })).toMatchObject({ category_code: null, company: null });
    expect(fromNotionValues({ Name: '' })).not.toHaveProperty('canonical_name');
  });
});

describe('defaultOwnershipFor', () => {
  it('gives the CRM fields to Notion when Notion is the CRM and Twenty is not configured', () => {
    const t = defaultOwnershipFor(['local', 'notion', 'kith']);
    expect(t.company).toBe('notion');
    expect(t.notes).toBe('notion');
    expect(t.emails).toBe('google');
    expect(defaultOwnershipFor(['local', 'notion', 'twenty'])).toBe(DEFAULT_FIELD_OWNERSHIP);
    expect(defaultOwnershipFor(['local'])).toBe(DEFAULT_FIELD_OWNERSHIP);
  });
});
