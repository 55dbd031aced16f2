import { describe, expect, it } from 'vitest';
import { loadPeopleConfig } from '../../../src/config/people.config.js';
import { normaliseEmail, normaliseName, normalisePhone, parseEmailAddress, participantKeys, selfMatcher } from '../../../src/domain/people/identity.js';
import { checkInteraction } from '../../../src/domain/people/interaction.js';
import { interactionsFromEvent } from '../../../src/domain/people/interaction-rules.js';
import { addInteraction, decodeSources, emptyStats, encodeSources, SOURCE_COUNT_FIELD } from '../../../src/domain/people/source-mapping.js';
import { frequencyScore, recencyScore, strength, varietyScore } from '../../../src/domain/people/strength.js';
import type { InteractionEvent } from '../../../src/sources/source-event.js';

const self = { emails: ['Me@Example.com'], phones: ['+1 (555) 000-1111'] };
const DAY = 86_400_000;

describe('source → count mapping', () => {
  it('maps each interaction source to its count, phone → calls and linkedin → messages', () => {
    expect(SOURCE_COUNT_FIELD).toMatchObject({ gmail: 'email_count', calendar: 'meeting_count', vault: 'mention_count', granola: 'mention_count', imessage: 'message_count', whatsapp: 'message_count', sms: 'message_count', slack: 'message_count', phone: 'call_count', linkedin: 'message_count' });
  });
  it('folds interactions and round-trips the source set', () => {
    const s = emptyStats();
    addInteraction(s, 'slack', 50);
    addInteraction(s, 'gmail', 10);
    addInteraction(s, 'slack', 90);
    expect(s).toEqual({ email_count: 1, meeting_count: 0, message_count: 2, mention_count: 0, call_count: 0, source_mask: encodeSources(['gmail', 'slack']), first_interaction_at: 10, last_interaction_at: 90 });
    expect(decodeSources(s.source_mask)).toEqual(['gmail', 'slack']);
  });
});

describe('identity keys', () => {
  it('normalises emails including display-name forms', () => {
    expect(normaliseEmail('  "Ada" <ADA@X.org> ')).toBe('ada@x.org');
    expect(parseEmailAddress('"Lovelace, Ada" <ada@x.org>')).toEqual({ address: 'ada@x.org', name: 'Lovelace, Ada' });
    expect(normaliseEmail('mailto:Bob@Y.com')).toBe('bob@y.com');
    expect(normaliseEmail('not an address')).toBeNull();
    expect(normaliseEmail('@x.org')).toBeNull();
  });
  it('normalises phones to E.164 with a default region', () => {
    expect(normalisePhone('(555) 123-4567')).toBe('+15551234567');
    expect(normalisePhone('tel:+1-555-123-4567')).toBe('+15551234567');
    expect(normalisePhone('020 7946 0958', 'GB')).toBe('+442079460958');
    expect(normalisePhone('020 7946 0958', 'US')).toBeNull();
    expect(normalisePhone('12')).toBeNull();
    expect(normalisePhone('call me')).toBeNull();
  });
  it('derives entity keys in handle, email, phone, name order', () => {
    expect(participantKeys('slack', { handle: 'U1', email: 'A@x.org' }).entityKey).toBe('handle:slack:U1');
    expect(participantKeys('gmail', { email: '"Ada" <A@x.org>' })).toMatchObject({ entityKey: 'email:a@x.org', name: 'Ada', strong: ['email:a@x.org'] });
    expect(participantKeys('sms', { phone: '555 123 4567' }).entityKey).toBe('phone:+15551234567');
    expect(participantKeys('vault', { name: '  Ada   LOVELACE ' })).toMatchObject({ entityKey: 'name:ada lovelace', strong: [] });
    expect(participantKeys('vault', { name: '   ' }).entityKey).toBeNull();
    expect(normaliseName('Ｊｏｈｎ  Doe')).toBe('john doe');
  });
  it('recognises self by email or phone', () => {
    const isSelf = selfMatcher(self);
    expect(isSelf({ email: '"Me" <me@EXAMPLE.com>' })).toBe(true);
    expect(isSelf({ phone: '555-000-1111' })).toBe(true);
    expect(isSelf({ email: 'other@example.com' })).toBe(false);
  });
  it('reads KITH_PHONE_REGION with zod, naming the variable when bad', () => {
    expect(loadPeopleConfig({}).phoneRegion).toBe('US');
    expect(loadPeopleConfig({ KITH_PHONE_REGION: 'gb' }).phoneRegion).toBe('GB');
    expect(() => loadPeopleConfig({ KITH_PHONE_REGION: 'ZZ' })).toThrow(/KITH_PHONE_REGION/);
  });
});

describe('row checks name the field', () => {
  const ok = { personId: 'p', sourceType: 'gmail' as const, externalId: 'e', occurredAt: 1 };
  it.each([
    [{ ...ok, sourceType: 'fax' }, 'sourceType'],
    [{ ...ok, occurredAt: Number.NaN }, 'occurredAt'],
    [{ ...ok, occurredAt: 1.5 }, 'occurredAt'],
    [{ ...ok, occurredAt: '2024-01-01' }, 'occurredAt'],
    [{ ...ok, occurredAt: 9e15 }, 'occurredAt'],
    [{ ...ok, personId: '' }, 'personId'],
    [{ ...ok, externalId: undefined }, 'externalId'],
    [{ ...ok, title: 5 }, 'title'],
  ])('%j → %s', (row, field) => {
    expect(checkInteraction(row as never, 3)).toMatchObject({ index: 3, field });
  });
  it('accepts a good row', () => expect(checkInteraction(ok, 0)).toBeNull());
});

describe('interaction rules', () => {
  const base = { kind: 'interaction' as const, externalId: 'ev1', timestamp: 1000, title: 'T', conversationKey: 'c1' };
  const keysOf = (e: InteractionEvent) => interactionsFromEvent(e, self).map((p) => p.row.externalId);

  it('email: one per other participant, self excluded, duplicates once', () => {
    const e: InteractionEvent = { ...base, sourceType: 'gmail', from: { email: 'Ada <ada@x.org>' }, participants: [{ email: 'me@example.com' }, { email: 'bob@y.com' }, { email: 'ADA@x.org' }] };
    expect(keysOf(e)).toEqual(['ev1#email:ada@x.org', 'ev1#email:bob@y.com']);
    const sent: InteractionEvent = { ...e, from: { email: 'me@example.com' }, participants: [{ email: 'bob@y.com' }, { email: 'cy@z.com' }] };
    expect(keysOf(sent)).toEqual(['ev1#email:bob@y.com', 'ev1#email:cy@z.com']);
    const row = interactionsFromEvent(e, self)[0]!.row;
    expect(row).toEqual({ sourceType: 'gmail', externalId: 'ev1#email:ada@x.org', occurredAt: 1000, title: 'T', snippet: null, conversationKey: 'c1', entityRef: 'email:ada@x.org' });
  });
  it('calendar and notes: one per attendee / mentioned person other than self', () => {
    expect(keysOf({ ...base, sourceType: 'calendar', from: { email: 'me@example.com' }, participants: [{ email: 'a@x.org' }, { email: 'me@example.com' }] })).toEqual(['ev1#email:a@x.org']);
    expect(keysOf({ ...base, sourceType: 'vault', participants: [{ name: 'Ada Lovelace' }, { name: 'Bob' }] })).toEqual(['ev1#name:ada lovelace', 'ev1#name:bob']);
  });
  it('chat: from someone else → the sender only; from self → every other participant', () => {
    const group = [{ handle: 'U1' }, { handle: 'U2' }, { handle: 'U3' }];
    expect(keysOf({ ...base, sourceType: 'slack', from: { handle: 'U2' }, participants: group })).toEqual(['ev1#handle:slack:U2']);
    expect(keysOf({ ...base, sourceType: 'slack', fromSelf: true, participants: group })).toEqual(['ev1#handle:slack:U1', 'ev1#handle:slack:U2', 'ev1#handle:slack:U3']);
    expect(keysOf({ ...base, sourceType: 'sms', from: { phone: '+15550001111' }, participants: [{ phone: '555 222 3333' }] })).toEqual(['ev1#phone:+15552223333']);
    expect(keysOf({ ...base, sourceType: 'whatsapp', participants: [{ phone: '+15552223333' }] })).toEqual(['ev1#phone:+15552223333']);
    expect(keysOf({ ...base, sourceType: 'whatsapp', participants: [{ phone: '+15552223333' }, { phone: '+15552223334' }] })).toEqual([]);
  });
  it('phone: one with the other party, in either direction', () => {
    expect(keysOf({ ...base, sourceType: 'phone', from: { phone: '+15552223333' }, participants: [{ phone: '+15550001111' }] })).toEqual(['ev1#phone:+15552223333']);
    expect(keysOf({ ...base, sourceType: 'phone', fromSelf: true, participants: [{ phone: '+15552223333' }] })).toEqual(['ev1#phone:+15552223333']);
  });
});

describe('strength formula', () => {
  const none = { email: 0, meeting: 0, message: 0, call: 0, mention: 0 };
  const now = 1_800_000_000_000;
  it('scores nobody 0 and everything-today near 100', () => {
    expect(strength({ lastInteractionAt: null, recent: none, total: none }, now)).toBe(0);
    const all = { email: 20, meeting: 20, message: 20, call: 20, mention: 20 };
    expect(strength({ lastInteractionAt: now, recent: all, total: all }, now)).toBe(100);
  });
  it('halves recency every 30 days and treats the future as today', () => {
    expect(recencyScore(now - 30 * DAY, now)).toBeCloseTo(0.5, 10);
    expect(recencyScore(now - 60 * DAY, now)).toBeCloseTo(0.25, 10);
    expect(recencyScore(now + DAY, now)).toBe(1);
  });
  it('weights channels and saturates frequency; counts variety over five channels', () => {
    expect(frequencyScore({ ...none, meeting: 1 })).toBeCloseTo(1 - Math.exp(-0.3), 10);
    expect(frequencyScore({ ...none, message: 6 })).toBeCloseTo(frequencyScore({ ...none, meeting: 1 }), 10);
    expect(varietyScore({ ...none, email: 3, call: 1 })).toBe(0.4);
  });
  it('combines the three as documented', () => {
    const s = strength({ lastInteractionAt: now - 30 * DAY, recent: { ...none, email: 10 }, total: { ...none, email: 10, call: 2 } }, now);
    expect(s).toBe(Math.round((0.45 * 0.5 + 0.35 * (1 - Math.exp(-1)) + 0.2 * 0.4) * 1000) / 10);
    const recent = strength({ lastInteractionAt: now - DAY, recent: { ...none, email: 1 }, total: { ...none, email: 1 } }, now);
    const stale = strength({ lastInteractionAt: now - 200 * DAY, recent: none, total: { ...none, email: 1 } }, now);
    expect(recent).toBeGreaterThan(stale);
  });
});
