import { describe, expect, it } from 'vitest';
import { fromTwentyPerson, joinPhone, splitPhone, toTwentyPerson, twentyView } from '../../../../src/systems/twenty/person.mapper.js';
import { twentyPerson } from '../../../../src/systems/twenty/twenty-person.js';
import { makeContact } from '../../../support/systems/twenty/contact-fixture.js';

describe('Twenty person mapper', () => {
  it('maps a canonical contact to Twenty composites', () => {
    const c = makeContact({ emails: ['a@x.io', 'b@x.io', ' '], phones: ['+44 20 7946 0958', '555-0101'], job_title: 'CTO' });
    expect(toTwentyPerson(c, 'comp-1', c.contact_id)).toEqual({
      id: c.contact_id,
      name: { firstName: 'Person1', lastName: 'Example' },
      emails: { primaryEmail: 'a@x.io', additionalEmails: ['b@x.io'] },
      phones: {
        primaryPhoneNumber: '2079460958',
        primaryPhoneCountryCode: 'GB',
        primaryPhoneCallingCode: '+44',
        additionalPhones: [{ number: '555-0101', countryCode: '', callingCode: '' }],
      },
      jobTitle: 'CTO',
      linkedinLink: { primaryLinkUrl: '', primaryLinkLabel: '' },
      companyId: 'comp-1',
    });
    expect(toTwentyPerson({ ...c, linkedin_url: 'https://www.linkedin.com/in/p1' }, null).linkedinLink).toEqual({ primaryLinkUrl: 'https://www.linkedin.com/in/p1', primaryLinkLabel: '' });
  });

  it('splits canonical_name when first/last names are missing', () => {
    const c = makeContact({ canonical_name: 'Ada King Lovelace', first_name: null, last_name: null });
    expect(toTwentyPerson(c, null).name).toEqual({ firstName: 'Ada', lastName: 'King Lovelace' });
  });

  it('maps a Twenty person back, tolerating nulls and partial composites', () => {
    const p = twentyPerson.parse({
      id: '0b6f3c1e-0000-4000-8000-000000000001',
      name: { firstName: 'Grace', lastName: null },
      emails: { primaryEmail: 'grace@navy.mil', additionalEmails: null },
      phones: { primaryPhoneNumber: '4155550123', primaryPhoneCallingCode: '+1', additionalPhones: [{ number: '99', callingCode: '33' }] },
      jobTitle: '',
      companyId: null,
      updatedAt: '2026-02-01T00:00:00.000Z',
      deletedAt: '2026-02-02T00:00:00.000Z',
    });
    expect(fromTwentyPerson(p, 'Navy')).toEqual({
      fields: {
        canonical_name: 'Grace',
        first_name: 'Grace',
        last_name: null,
        emails: ['grace@navy.mil'],
        phones: ['+14155550123', '+3399'],
        company: 'Navy',
        job_title: null,
        linkedin_url: null,
      },
      updatedAt: '2026-02-01T00:00:00.000Z',
      deletedAt: '2026-02-02T00:00:00.000Z',
    });
  });

  it('falls back to the email when a person has no name, and omits canonical_name when it has neither', () => {
    const base = { id: 'x', updatedAt: '2026-01-01T00:00:00.000Z' };
    expect(fromTwentyPerson(twentyPerson.parse({ ...base, emails: { primaryEmail: 'who@x.io' } }), null).fields.canonical_name).toBe('who@x.io');
    expect(fromTwentyPerson(twentyPerson.parse(base), null).fields).not.toHaveProperty('canonical_name');
  });

  it('round-trips phones through E.164 and keeps unparseable numbers raw', () => {
    expect(splitPhone('+1 (415) 555-0123')).toEqual({ number: '4155550123', countryCode: 'US', callingCode: '+1' });
    expect(joinPhone(splitPhone('+1 (415) 555-0123'))).toBe('+14155550123');
    expect(joinPhone(splitPhone('ext. 42'))).toBe('ext. 42');
    expect(joinPhone({ number: '', callingCode: '+1' })).toBeUndefined();
  });

  it('twentyView is what Twenty hands back, and is stable under a second round trip', () => {
    const c = makeContact({ canonical_name: 'Bob Smith (work)', first_name: 'Bob', last_name: 'Smith', phones: ['+1 415 555 0123'], company: 'Acme', notes: 'not in Twenty' });
    const view = twentyView(c);
    expect(view).toEqual({
      canonical_name: 'Bob Smith',
      first_name: 'Bob',
      last_name: 'Smith',
      emails: ['person1@example.com'],
      phones: ['+14155550123'],
      company: 'Acme',
      job_title: 'Engineer',
      linkedin_url: null,
    });
    expect(twentyView({ ...c, ...view })).toEqual(view);
    // The LinkedIn profile travels in linkedinLink.primaryLinkUrl and back.
    expect(twentyView({ ...c, linkedin_url: ' https://www.linkedin.com/in/bob ' }).linkedin_url).toBe('https://www.linkedin.com/in/bob');
  });
});
