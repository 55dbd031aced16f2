import { describe, expect, it } from 'vitest';
import { AuthError, FatalError, InvalidInputError, NotFoundError, RateLimitedError, TemporaryError } from '../../../../src/errors.js';
import { isRecordError, NOTION_VALIDATION, notionHttpError, notionNetworkError } from '../../../../src/systems/notion/notion-errors.js';
import { loadNotionConfig } from '../../../../src/config/notion.config.js';

const body = (status: number, code: string) => ({ object: 'error', status, code, message: `${code} happened` });

describe('notionHttpError: Notion status + code → Kith error kind', () => {
  it.each([
    [429, 'rate_limited', RateLimitedError],
    [529, 'service_overload', RateLimitedError],
    [400, 'validation_error', InvalidInputError],
    [400, 'invalid_json', FatalError],
    [400, 'missing_version', FatalError],
    [401, 'unauthorized', AuthError],
    [403, 'restricted_resource', AuthError],
    [404, 'object_not_found', NotFoundError],
    [409, 'conflict_error', TemporaryError],
    [500, 'internal_server_error', TemporaryError],
    [503, 'service_unavailable', TemporaryError],
    [504, 'gateway_timeout', TemporaryError],
  ])('%i %s', (status, code, kind) => {
    const e = notionHttpError(status, body(status, code), 'query');
    expect(e).toBeInstanceOf(kind);
    expect(e.message).toContain(`HTTP ${status} ${code}`);
  });
  it('honours Retry-After on 429 and 529, with a default when absent', () => {
    expect((notionHttpError(429, body(429, 'rate_limited'), 'q', '2') as RateLimitedError).retryAfterMs).toBe(2000);
    expect((notionHttpError(529, body(529, 'service_overload'), 'q', '7') as RateLimitedError).retryAfterMs).toBe(7000);
    expect((notionHttpError(429, body(429, 'rate_limited'), 'q') as RateLimitedError).retryAfterMs).toBe(1000);
  });
  it('tells a per-record validation error from a run-stopping one', () => {
    const v = notionHttpError(400, body(400, 'validation_error'), 'create');
    expect(v.code).toBe(NOTION_VALIDATION);
    expect(isRecordError(v)).toBe(true);
    expect(isRecordError(notionHttpError(401, body(401, 'unauthorized'), 'q'))).toBe(false);
  });
  it('makes a network failure temporary', () => {
    const e = notionNetworkError(Object.assign(new Error('connect failed'), { code: 'ECONNREFUSED' }), 'query');
    expect(e).toBeInstanceOf(TemporaryError);
    expect(e.code).toBe('ECONNREFUSED');
  });
});

describe('loadNotionConfig', () => {
  it('reads the variables with defaults', () => {
    const c = loadNotionConfig({ NOTION_TOKEN: 'secret_x', NOTION_API_URL: 'http://127.0.0.1:9/' });
    expect(c).toEqual({ token: 'secret_x', apiUrl: 'http://127.0.0.1:9', rateLimit: { limit: 3, windowMs: 1000 }, contactsDataSource: undefined, webhookToken: undefined, contactProperties: {
      canonical_name: 'Name', kith_id: 'Kith ID', emails: 'Emails', phones: 'Phones', company: 'Company', job_title: 'Job title', notes: 'Notes',
      category_code: 'Category', subcategory_code: 'Subcategory', tags: 'Tags', last_contacted: 'Last contacted', linkedin_url: null,
    } });
  });
  it('names the variable that is wrong', () => {
    expect(() => loadNotionConfig({})).toThrow(/NOTION_TOKEN/);
    expect(() => loadNotionConfig({ NOTION_TOKEN: 't', NOTION_RATE_LIMIT: 'fast' })).toThrow(/NOTION_RATE_LIMIT/);
    expect(() => loadNotionConfig({ NOTION_TOKEN: 't', NOTION_API_URL: 'ftp://x' })).toThrow(/NOTION_API_URL/);
    expect(() => loadNotionConfig({ NOTION_TOKEN: 't', NOTION_CONTACTS_DATA_SOURCE: 'contacts' })).toThrow(/NOTION_CONTACTS_DATA_SOURCE/);
  });
});
