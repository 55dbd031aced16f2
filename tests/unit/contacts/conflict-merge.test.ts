import { describe, expect, it } from 'vitest';
import { resolveConflict } from '../../../src/hub/domain/conflict-resolver.js';
import { decideIncoming, mergeIncoming } from '../../../src/hub/domain/contact-merge.js';
import { hashForSystem, hashSystemFields, hashContact } from '../../../src/hub/domain/contact-content.js';
import { isEcho, overwrittenSince } from '../../../src/hub/domain/echo-detector.js';
import { defaultOwnershipFor, effectiveOwnership, parseOwnershipTable } from '../../../src/hub/domain/field-ownership.js';

/** The default table of a deployment whose CRM is Twenty. */
const TWENTY_CRM = defaultOwnershipFor(['twenty']);
import { InvalidInputError } from '../../../src/errors.js';
import { contact, ID2, systemCopy } from '../../support/contacts/contact-fixtures.js';

const NOW = '2026-02-01T00:00:00.000Z';

describe('resolveConflict', () => {
  const current = contact();
  it('higher version wins either way round', () => {
    const newer = contact({ company: 'X', sync_metadata: { version: 4, last_updated: '2020-01-01T00:00:00Z' } });
    expect(resolveConflict(newer, current)).toEqual({ winner: 'incoming', reason: 'higher_version' });
    expect(resolveConflict(current, newer)).toEqual({ winner: 'current', reason: 'lower_version' });
  });
  it('equal versions: later last_updated wins, compared as instants', () => {
    const later = contact({ company: 'X', sync_metadata: { last_updated: '2026-01-10T11:00:00+01:00' } }); // same instant as current
    expect(resolveConflict(later, current)).toEqual({ winner: null, reason: 'conflict' });
    const reallyLater = contact({ company: 'X', sync_metadata: { last_updated: '2026-01-10T10:00:00.001Z' } });
    expect(resolveConflict(reallyLater, current)).toEqual({ winner: 'incoming', reason: 'later_update' });
    expect(resolveConflict(current, reallyLater)).toEqual({ winner: 'current', reason: 'earlier_update' });
  });
  it('equal content is a no-op whatever the metadata', () => {
    const same = contact({ sync_metadata: { version: 9, last_updated_by: 'twenty' } });
    expect(resolveConflict(same, current)).toEqual({ winner: null, reason: 'same_content' });
  });
  it('a system copy is compared on the fields it holds only', () => {
    const withCtx = contact({ llm_context: { closeness_level: 8 } });
    const { llm_context: _drop, ...twentyFields } = systemCopy(withCtx, 'twenty').fields;
    const twenty = systemCopy(withCtx, 'twenty', { fields: twentyFields, version: undefined });
    expect(resolveConflict(twenty, withCtx).reason).toBe('same_content');
    const edited = systemCopy(withCtx, 'twenty', { fields: { ...twentyFields, company: 'New Co' }, version: undefined, updatedAt: NOW });
    expect(resolveConflict(edited, withCtx)).toEqual({ winner: 'incoming', reason: 'later_update' });
  });
});

describe('mergeIncoming under field ownership', () => {
  const current = contact();
  it('takes owned and unowned fields, rejects others, bumps version once', () => {
    const r = mergeIncoming(current, { company: 'New Co', emails: ['other@example.org'], canonical_name: 'Ada L.' }, 'twenty', TWENTY_CRM, { now: NOW });
    expect(r.changed).toBe(true);
    expect(r.applied).toEqual(['company']);
    expect(r.rejected).toEqual(['canonical_name', 'emails']);
    expect(r.contact.company).toBe('New Co');
    expect(r.contact.emails).toEqual(['ada@example.org']);
    expect(r.contact.sync_metadata).toEqual({ version: 4, last_updated: NOW, last_updated_by: 'twenty' });
  });
  it('leaves the record untouched when nothing it may change changed', () => {
    const r = mergeIncoming(current, { emails: ['other@example.org'], company: current.company }, 'twenty', TWENTY_CRM, { now: NOW });
    expect(r.changed).toBe(false);
    expect(r.contact).toBe(current);
    expect(r.rejected).toEqual(['emails']);
  });
  it('lets anyone fill an empty owned field, and anyone soft-delete', () => {
    const r = mergeIncoming(current, { notes: 'met at the club', deleted_at: NOW }, 'google', TWENTY_CRM, { now: NOW });
    expect(r.applied).toEqual(['notes']);
    expect(r.contact.deleted_at).toBe(NOW);
  });
  it('an owner that is not active no longer blocks edits', () => {
    const table = effectiveOwnership(TWENTY_CRM, ['twenty', 'supabase', 'kith']);
    const r = mergeIncoming(current, { emails: ['new@example.org'] }, 'supabase', table, { now: NOW });
    expect(r.contact.emails).toEqual(['new@example.org']);
  });
  it('version is at least the incoming system version', () => {
    const r = mergeIncoming(current, { company: 'Y' }, 'twenty', TWENTY_CRM, { now: NOW, minVersion: 10 });
    expect(r.contact.sync_metadata.version).toBe(10);
  });
  it('creates with every field, and needs an id to do so', () => {
    const r = mergeIncoming(undefined, { canonical_name: 'Bob', emails: ['bob@example.org'] }, 'twenty', TWENTY_CRM, { now: NOW, contactId: ID2 });
    expect(r.created).toBe(true);
    expect(r.contact).toMatchObject({ contact_id: ID2, canonical_name: 'Bob', emails: ['bob@example.org'], sync_metadata: { version: 1 } });
    expect(() => mergeIncoming(undefined, { canonical_name: 'Bob' }, 'twenty', TWENTY_CRM, { now: NOW })).toThrow(/contact_id/);
  });
  it('an invalid result is an InvalidInputError naming the field', () => {
    let err: unknown;
    try {
      mergeIncoming(current, { subcategory_code: 'C2' }, 'twenty', TWENTY_CRM, { now: NOW });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(/^subcategory_code: must start with category_code 'B'/);
  });
});

describe('decideIncoming', () => {
  const current = contact();
  it('covers create, update, unchanged, stale and conflict', () => {
    const fresh = systemCopy(contact({ contact_id: ID2 }), 'twenty', { version: undefined });
    expect(decideIncoming(undefined, fresh, TWENTY_CRM, NOW)).toMatchObject({ action: 'create', contact: { contact_id: ID2 } });
    expect(decideIncoming(current, systemCopy(current, 'supabase'), TWENTY_CRM, NOW)).toMatchObject({ action: 'unchanged', reason: 'same_content' });
    const newer = systemCopy(contact({ job_title: 'Countess', sync_metadata: { version: 4 } }), 'twenty');
    const up = decideIncoming(current, newer, TWENTY_CRM, NOW);
    expect(up).toMatchObject({ action: 'update', reason: 'higher_version', contact: { job_title: 'Countess', sync_metadata: { version: 4, last_updated_by: 'twenty' } } });
    const older = systemCopy(contact({ job_title: 'Countess', sync_metadata: { version: 2 } }), 'twenty');
    expect(decideIncoming(current, older, TWENTY_CRM, NOW)).toEqual({ action: 'stale', reason: 'lower_version' });
    const tie = systemCopy(contact({ job_title: 'Countess' }), 'supabase');
    expect(decideIncoming(current, tie, TWENTY_CRM, NOW)).toEqual({ action: 'conflict', reason: 'conflict' });
    const notOwned = systemCopy(contact({ emails: ['x@example.org'], sync_metadata: { version: 5 } }), 'twenty');
    expect(decideIncoming(current, notOwned, TWENTY_CRM, NOW)).toEqual({ action: 'unchanged', reason: 'owned_elsewhere', rejected: ['emails'] });
  });
});

describe('isEcho', () => {
  const c = contact();
  const keys = ['canonical_name', 'emails', 'company'] as const;
  const written = { lastHash: hashForSystem(c, keys), lastVersion: 3 };
  it('recognises our own write by content hash, however late', () => {
    const back = { canonical_name: c.canonical_name, emails: [...c.emails], company: c.company };
    expect(isEcho(hashSystemFields(back, null), written)).toBe(true);
    expect(isEcho(hashSystemFields(back, null), written, 3)).toBe(true);
  });
  it('a real edit, a newer version, a deletion or no link is not an echo', () => {
    expect(isEcho(hashSystemFields({ canonical_name: 'Other', emails: c.emails, company: c.company }), written)).toBe(false);
    const same = hashSystemFields({ canonical_name: c.canonical_name, emails: c.emails, company: c.company });
    expect(isEcho(same, written, 4)).toBe(false);
    expect(isEcho(hashSystemFields({ canonical_name: c.canonical_name, emails: c.emails, company: c.company }, NOW), written)).toBe(false);
    expect(isEcho(same, undefined)).toBe(false);
  });
  it('the full-record hash differs from a projection hash', () => {
    expect(hashContact(c)).not.toBe(hashForSystem(c, keys));
  });
});

describe('ownership table file form', () => {
  it('parses system → fields and rejects double owners and unknown names', () => {
    expect(parseOwnershipTable({ google: ['emails'], twenty: ['company'] })).toEqual({ emails: 'google', company: 'twenty' });
    expect(() => parseOwnershipTable({ google: ['emails'], twenty: ['emails'] })).toThrow('emails: owned by both google and twenty');
    expect(() => parseOwnershipTable({ google: ['email'] })).toThrow(/google\.0/);
    expect(() => parseOwnershipTable({ hubspot: ['emails'] })).toThrow(/hubspot|systems/);
  });
});

describe('overwrittenSince', () => {
  const link = { lastHash: 'kith-wrote', lastSyncedAt: Date.parse('2026-03-01T10:00:05.000Z') };
  it('is true when Kith wrote other content after the record was current in the system', () => {
    expect(overwrittenSince(link, 'edited', '2026-03-01T10:00:04.000Z')).toBe(true);
  });
  it('is false for a record changed after Kith wrote, for Kith own content, and with no link or write time', () => {
    expect(overwrittenSince(link, 'edited', '2026-03-01T10:00:06.000Z')).toBe(false);
    expect(overwrittenSince(link, 'kith-wrote', '2026-03-01T10:00:04.000Z')).toBe(false);
    expect(overwrittenSince(undefined, 'edited', '2026-03-01T10:00:04.000Z')).toBe(false);
    expect(overwrittenSince({ lastHash: null, lastSyncedAt: link.lastSyncedAt }, 'edited', '2026-03-01T10:00:04.000Z')).toBe(false);
    expect(overwrittenSince({ lastHash: 'kith-wrote', lastSyncedAt: null }, 'edited', '2026-03-01T10:00:04.000Z')).toBe(false);
  });
  it('proves nothing from an unreadable record time', () => {
    expect(overwrittenSince(link, 'edited', 'not a time')).toBe(false);
  });
});
