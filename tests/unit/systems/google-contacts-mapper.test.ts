import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { isGoogleContactsConfigured, loadGoogleContactsConfig } from '../../../src/config/google-contacts.config.js';
import { fromPerson, googleSystemContact, googleView, kithIdOf, mergeGoogleEdit, toPerson } from '../../../src/systems/google/contacts/contact.mapper.js';
import { contact, ID1 } from '../../support/contacts/contact-fixtures.js';

describe('canonical ↔ a Google contact', () => {
  it('writes names, emails, phones and the first organisation, with Kith’s id in clientData, and reads them back', () => {
    const c = contact({ contact_id: ID1, canonical_name: 'Ada King', first_name: 'Ada', last_name: 'King', emails: ['ada@example.org'], phones: ['+44 20 7946 0018'], company: 'Engines', job_title: null, notes: 'kept out of Google' });
    const p = toPerson(c, ID1);
    expect(p).toEqual({
      names: [{ unstructuredName: 'Ada King', givenName: 'Ada', familyName: 'King' }],
      emailAddresses: [{ value: 'ada@example.org' }],
      phoneNumbers: [{ value: '+44 20 7946 0018' }],
      organizations: [{ name: 'Engines' }],
      clientData: [{ key: 'kith_contact_id', value: ID1 }],
    });
    expect(kithIdOf(p)).toBe(ID1);
    expect(fromPerson(p)).toEqual({ canonical_name: 'Ada King', first_name: 'Ada', last_name: 'King', emails: ['ada@example.org'], phones: ['+44 20 7946 0018'], company: 'Engines', job_title: null });
    expect(googleView(c)).toEqual(fromPerson(p));
  });

  it('reads a contact made in Google: display name, primary values first; a deleted one is a deletion', () => {
    const p = { resourceName: 'people/c9', names: [{ displayName: 'Grace Hopper', givenName: 'Grace', familyName: 'Hopper' }], emailAddresses: [{ value: 'b@example.org' }, { value: 'a@example.org', metadata: { primary: true } }], metadata: { sources: [{ updateTime: '2026-02-01T10:00:00Z' }] } };
    const s = googleSystemContact(p, () => 'now');
    expect(s).toMatchObject({ system: 'google', externalId: 'people/c9', updatedAt: '2026-02-01T10:00:00Z', deletedAt: null, fields: { canonical_name: 'Grace Hopper', emails: ['a@example.org', 'b@example.org'] } });
    expect(s.contactId).toBeUndefined();
    expect(googleSystemContact({ resourceName: 'people/c9', metadata: { deleted: true } }, () => '2026-02-02T00:00:00.000Z')).toMatchObject({ fields: {}, deletedAt: '2026-02-02T00:00:00.000Z' });
  });

  it('a write refused for a stale etag keeps every field Google changed and takes Kith’s for the rest', () => {
    const base = { canonical_name: 'Bob', emails: ['bob@example.org'], phones: ['1'], company: 'Old' };
    const theirs = { ...base, phones: ['2'] };
    const ours = { ...base, company: 'New', phones: ['1'] };
    expect(mergeGoogleEdit(base, theirs, ours)).toMatchObject({ canonical_name: 'Bob', emails: ['bob@example.org'], phones: ['2'], company: 'New' });
  });
});

describe('Google Contacts hub settings', () => {
  it('are off unless GOOGLE_CONTACTS_HUB says so, and a bad value names its variable', () => {
    expect(isGoogleContactsConfigured({})).toBe(false);
    expect(isGoogleContactsConfigured({ GOOGLE_CONTACTS_HUB: 'false' })).toBe(false);
    expect(isGoogleContactsConfigured({ GOOGLE_CONTACTS_HUB: 'true' })).toBe(true);
    expect(isGoogleContactsConfigured({ GOOGLE_CONTACTS_HUB: 'maybe' })).toBe(true);
    expect(loadGoogleContactsConfig({ GOOGLE_CONTACTS_HUB: 'true' })).toEqual({ apiUrl: 'https://people.googleapis.com/', reads: { limit: 90, windowMs: 60_000 }, writes: { limit: 90, windowMs: 60_000 } });
    expect(() => loadGoogleContactsConfig({ GOOGLE_CONTACTS_HUB: 'maybe' })).toThrow(ConfigError);
    expect(() => loadGoogleContactsConfig({ GOOGLE_CONTACTS_HUB: 'maybe' })).toThrow(/GOOGLE_CONTACTS_HUB: must be true or false/);
    expect(() => loadGoogleContactsConfig({ GOOGLE_CONTACTS_HUB: 'true', GOOGLE_PEOPLE_API_URL: 'ftp://x' })).toThrow(/GOOGLE_PEOPLE_API_URL/);
    expect(() => loadGoogleContactsConfig({ GOOGLE_CONTACTS_HUB: 'true', GOOGLE_PEOPLE_WRITES_PER_MINUTE: '0' })).toThrow(/GOOGLE_PEOPLE_WRITES_PER_MINUTE/);
  });
});
