import { describe, expect, it } from 'vitest';
import { hashContact } from '../../../../src/hub/domain/contact-content.js';
import { AuthError, FatalError, InvalidInputError, NotFoundError, RateLimitedError, TemporaryError } from '../../../../src/errors.js';
import { fromSupabaseRow, parseSupabaseRow, toSupabaseRow } from '../../../../src/systems/supabase/contact-row.mapper.js';
import { offendingColumn, supabaseError } from '../../../../src/systems/supabase/supabase-errors.js';
import { checkBearer, describeSupabasePayloadError, supabaseWebhookPayload } from '../../../../src/systems/supabase/webhook-payload.js';
import { makeContact } from '../../../support/systems/twenty/contact-fixture.js';

describe('Supabase row mapper', () => {
  it('writes every canonical field plus the sync columns', () => {
    const c = makeContact({ category_code: 'B', subcategory_code: 'B1', llm_context: { closeness_level: 7, key_interests: ['chess'] } });
    const row = toSupabaseRow(c, 'w-1');
    expect(row).toMatchObject({
      contact_id: c.contact_id,
      canonical_name: c.canonical_name,
      category_code: 'B',
      llm_context: { closeness_level: 7, key_interests: ['chess'] },
      version: 1,
      last_updated_at: c.sync_metadata.last_updated,
      last_sync_source: 'kith',
      content_hash: hashContact(c),
      sync_write_id: 'w-1',
      deleted_at: null,
    });
  });

  it('reads a PostgREST row back with ISO times and the change author', () => {
    const c = makeContact();
    const raw = { ...toSupabaseRow(c, 'w'), last_updated_at: '2026-01-27T10:00:00+00:00', updated_at: '2026-02-01T08:00:00.123456+00:00', deleted_at: null, id: 'row-1' };
    const s = fromSupabaseRow(parseSupabaseRow(raw));
    expect(s).toMatchObject({ system: 'supabase', externalId: c.contact_id, contactId: c.contact_id, version: 1, updatedAt: '2026-01-27T10:00:00.000Z', updatedBy: 'kith', deletedAt: null });
    expect(hashContact({ ...(s.fields as Parameters<typeof hashContact>[0]), deleted_at: null })).toBe(hashContact(c));
  });

  it('names the column of a row that breaks the schema', () => {
    const raw = { ...toSupabaseRow(makeContact(), 'w'), updated_at: 'x', llm_context: { closeness_level: 99 } };
    expect(() => parseSupabaseRow(raw)).toThrow(/column llm_context\.closeness_level/);
    expect(() => parseSupabaseRow(raw)).toThrow(InvalidInputError);
  });
});

describe('Supabase error table', () => {
  it('maps status and codes to typed errors', () => {
    expect(supabaseError({ message: 'fetch failed', code: '' }, 0, 'get')).toBeInstanceOf(TemporaryError);
    expect(supabaseError({ message: 'Too many' }, 429, 'get')).toBeInstanceOf(RateLimitedError);
    expect(supabaseError({ message: 'Invalid API key' }, 401, 'get')).toBeInstanceOf(AuthError);
    expect(supabaseError({ code: 'PGRST301', message: 'JWT' }, 401, 'get')).toBeInstanceOf(AuthError);
    expect(supabaseError({ code: '42501', message: 'permission denied' }, 403, 'get')).toBeInstanceOf(AuthError);
    expect(supabaseError({ code: 'XX000', message: 'boom' }, 500, 'get')).toBeInstanceOf(TemporaryError);
    expect(supabaseError({ code: '57014', message: 'canceling statement due to statement timeout' }, 500, 'get')).toBeInstanceOf(TemporaryError);
    expect(supabaseError({ code: 'PGRST205', message: "Could not find the table 'public.contacts'" }, 404, 'get')).toBeInstanceOf(FatalError);
    expect(supabaseError({ code: 'PGRST116', message: 'JSON object requested' }, 406, 'get')).toBeInstanceOf(NotFoundError);
    expect(supabaseError({ code: '23514', message: 'new row for relation "contacts" violates check constraint "contacts_category_code_check"' }, 400, 'upsert')).toBeInstanceOf(InvalidInputError);
    expect(supabaseError({ code: '418', message: '?' }, 418, 'x')).toBeInstanceOf(FatalError);
  });

  it('names the column when PostgreSQL does', () => {
    expect(offendingColumn({ message: 'new row for relation "contacts" violates check constraint "contacts_category_code_check"' })).toBe('category_code');
    expect(offendingColumn({ message: 'null value in column "canonical_name" of relation "contacts" violates not-null constraint' })).toBe('canonical_name');
    expect(offendingColumn({ message: 'column contacts.nickname does not exist' })).toBe('nickname');
    expect(offendingColumn({ message: 'duplicate key', details: 'Key (contact_id)=(x) already exists.' })).toBe('contact_id');
    expect(supabaseError({ code: '23502', message: 'null value in column "canonical_name" of relation "contacts"' }, 400, 'upsert').message).toContain('(column canonical_name)');
  });
});

describe('Supabase webhook payload and bearer', () => {
  const rec = { contact_id: 'c1', canonical_name: 'A' };
  it('accepts the three shapes and names a bad field', () => {
    expect(supabaseWebhookPayload.parse({ type: 'INSERT', table: 'contacts', schema: 'public', record: rec, old_record: null }).type).toBe('INSERT');
    expect(supabaseWebhookPayload.parse({ type: 'UPDATE', table: 'contacts', schema: 'public', record: rec, old_record: rec }).type).toBe('UPDATE');
    expect(supabaseWebhookPayload.parse({ type: 'DELETE', table: 'contacts', schema: 'public', record: null, old_record: rec }).type).toBe('DELETE');
    const bad = supabaseWebhookPayload.safeParse({ type: 'DELETE', table: 'contacts', schema: 'public', record: null, old_record: null });
    expect(bad.success).toBe(false);
    if (!bad.success) expect(describeSupabasePayloadError(bad.error)).toMatch(/^old_record: /);
    const badType = supabaseWebhookPayload.safeParse({ type: 'TRUNCATE', table: 'contacts', schema: 'public' });
    if (!badType.success) expect(describeSupabasePayloadError(badType.error)).toMatch(/^type: /);
    expect(badType.success).toBe(false);
  });

  it('checks the bearer secret exactly', () => {
    expect(checkBearer('Bearer s3cret-value', 's3cret-value')).toBe(true);
    expect(checkBearer('bearer  s3cret-value ', 's3cret-value')).toBe(true);
    expect(checkBearer('Bearer s3cret-valuf', 's3cret-value')).toBe(false);
    expect(checkBearer('Bearer s3cret', 's3cret-value')).toBe(false);
    expect(checkBearer('s3cret-value', 's3cret-value')).toBe(false);
    expect(checkBearer(undefined, 's3cret-value')).toBe(false);
    expect(checkBearer('Bearer x', '')).toBe(false);
  });
});
