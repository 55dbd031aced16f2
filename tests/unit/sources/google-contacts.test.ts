import { describe, expect, it } from 'vitest';
import { CursorInvalidError, FatalError } from '../../../src/errors.js';
import { formatPeopleCursor, parsePeopleCursor } from '../../../src/sources/google-contacts/people-cursor.js';
import { mapPerson } from '../../../src/sources/google-contacts/person.mapper.js';
import { isStaleEtag, refinePeopleError } from '../../../src/systems/google/contacts/people-errors.js';

describe('a People API person', () => {
  it('maps to the contact the Google CSV export gives for the same card, keyed by its resource name', () => {
    const r = mapPerson({
      resourceName: 'people/c42',
      names: [{ givenName: 'Lena', familyName: 'Svensson' }],
      emailAddresses: [{ value: 'other@example.se' }, { value: ' Lena.Svensson@Example.se ', metadata: { primary: true } }],
      phoneNumbers: [{ value: '+46 70 123 45 67', canonicalForm: '+46701234567' }],
      organizations: [{ name: 'Nordic Engines AB', title: 'Partner Manager' }],
      urls: [{ value: 'https://www.linkedin.com/in/Lena-Svensson-Example' }, { value: 'https://example.se' }],
      metadata: { sources: [{ type: 'CONTACT', updateTime: '2026-02-01T10:00:00Z' }] },
    });
    expect(r).toEqual({
      kind: 'contact',
      event: {
        kind: 'contact',
        sourceType: 'google-contacts',
        externalId: 'people/c42',
        name: 'Lena Svensson',
        emails: ['lena.svensson@example.se', 'other@example.se'],
        phones: ['+46 70 123 45 67'],
        company: 'Nordic Engines AB',
        jobTitle: 'Partner Manager',
        handles: ['https://www.linkedin.com/in/lena-svensson-example'],
        timestamp: Date.parse('2026-02-01T10:00:00Z'),
      },
    });
  });

  it('is a removal when deleted, and skipped without a resource name or anything to know it by', () => {
    expect(mapPerson({ resourceName: 'people/c7', metadata: { deleted: true } })).toEqual({ kind: 'removed', itemId: 'people/c7' });
    expect(mapPerson({ names: [{ displayName: 'X' }] })).toMatchObject({ kind: 'skip', reason: expect.stringMatching(/resource name/) });
    expect(mapPerson({ resourceName: 'people/c8', emailAddresses: [{ value: 'not an address' }] })).toMatchObject({ kind: 'skip', reason: 'people/c8 has no name, email or phone' });
  });
});

describe('the google-contacts cursor', () => {
  it('round-trips both modes and refuses anything else', () => {
    for (const c of [{ v: 1, mode: 'full' }, { v: 1, mode: 'full', pageToken: 'p2' }, { v: 1, mode: 'sync', syncToken: 's1' }, { v: 1, mode: 'sync', syncToken: 's1', pageToken: 'p3' }] as const) {
      expect(parsePeopleCursor(formatPeopleCursor(c))).toEqual(c);
    }
    expect(() => parsePeopleCursor('{"v":1,"mode":"sync"}')).toThrow(CursorInvalidError);
    expect(() => parsePeopleCursor('12')).toThrow(CursorInvalidError);
    expect(() => parsePeopleCursor('not json')).toThrow(CursorInvalidError);
  });
});

describe("People's answers on top of Google's error table", () => {
  const fatal = (body: unknown) => new FatalError('Google x: HTTP 400', 'google_error', { cause: { response: { status: 400, data: body, headers: {} } } });

  it('an expired sync token is an invalid cursor, matched on the ErrorInfo reason', () => {
    const e = refinePeopleError(fatal({ error: { code: 400, status: 'FAILED_PRECONDITION', message: 'Sync token is expired.', details: [{ reason: 'EXPIRED_SYNC_TOKEN' }] } }), 'people.connections.list');
    expect(e).toBeInstanceOf(CursorInvalidError);
    expect((e as Error).message).toMatch(/EXPIRED_SYNC_TOKEN/);
  });

  it('a failed precondition on a write is a stale etag; any other 400 stays fatal', () => {
    expect(isStaleEtag(refinePeopleError(fatal({ error: { code: 400, status: 'FAILED_PRECONDITION', message: 'etag differs' } }), 'people.updateContact'))).toBe(true);
    const other = fatal({ error: { code: 400, status: 'INVALID_ARGUMENT', message: 'bad mask' } });
    expect(refinePeopleError(other, 'people.get')).toBe(other);
    expect(isStaleEtag(other)).toBe(false);
  });
});
