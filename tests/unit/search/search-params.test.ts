import { describe, expect, it } from 'vitest';
import { parseSearchParams, sourceTypes } from '../../../src/search/search-params.js';

describe('search parameters', () => {
  it('reads the CLI options and the HTTP query parameters alike', () => {
    expect(parseSearchParams({ q: 'grant', person: ' ada@example.com ', source: 'gmail,slack', since: '2026-02-01', until: '2026-03-01T12:00:00+01:00', limit: '5', mode: 'hybrid' })).toEqual({
      query: 'grant', person: 'ada@example.com', sources: ['gmail', 'slack'], since: Date.parse('2026-02-01T00:00:00Z'), until: Date.parse('2026-03-01T11:00:00Z'), limit: 5, mode: 'hybrid',
    });
    expect(parseSearchParams({ source: ['notes', 'mail'] })).toEqual({ query: undefined, person: undefined, sources: ['vault', 'granola', 'gmail'], since: undefined, until: undefined, limit: 10, mode: 'bm25' });
  });

  it('names the parameter that is wrong', () => {
    expect(() => parseSearchParams({ limit: '0' })).toThrow(/^limit must be at least 1$/);
    expect(() => parseSearchParams({ limit: 'ten' })).toThrow(/^limit/);
    expect(() => parseSearchParams({ limit: '2.5' })).toThrow(/^limit must be a whole number$/);
    expect(() => parseSearchParams({ since: 'last spring' })).toThrow(/^since must be a date \(YYYY-MM-DD\) or an ISO 8601 time, got 'last spring'$/);
    expect(() => parseSearchParams({ mode: 'fuzzy' })).toThrow(/^mode must be one of bm25, vector, hybrid$/);
    expect(() => parseSearchParams({ since: '2026-03-01', until: '2026-02-01' })).toThrow(/^until must be later than since$/);
    expect(() => parseSearchParams({ person: '  ' })).toThrow(/^person must not be empty$/);
    expect(() => sourceTypes(['fax'])).toThrow(/^source: unknown source 'fax'; use gmail, calendar, vault, granola, /);
  });

  it('maps the words for groups of sources to their types', () => {
    expect(sourceTypes(['messages']).sort()).toEqual(['imessage', 'linkedin', 'slack', 'sms', 'whatsapp']);
    expect(sourceTypes(['Mail', 'mbox', 'meetings'])).toEqual(['gmail', 'calendar']);
  });
});
