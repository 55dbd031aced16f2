import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { categoryByRules } from '../../../src/promotion/category-rules.js';
import { openThreadsByPerson } from '../../../src/promotion/open-threads.js';
import { buildGraphContext, graphFields, isPromoted, promotableFields, promotionHash, splitName, trendOf } from '../../../src/promotion/person-contact.builder.js';
import type { PersonGraph } from '../../../src/promotion/person-graph.js';
import { parseCategoryRef } from '../../../src/promotion/promotion-config.js';
import { contactIdForPerson } from '../../../src/promotion/person-contacts.store.js';
import { loadKithConfig } from '../../../src/sync/kith-config.js';

const DAY = 86_400_000;
const person = (over: Partial<PersonGraph> = {}): PersonGraph => ({
  id: 'p_ada',
  name: 'Ada King Lovelace',
  emails: ['ada@example.com'],
  phones: ['+15550101001'],
  company: 'Analytical Engines',
  jobTitle: null,
  category: null,
  counts: { email: 3, meeting: 1, message: 0, mention: 0, call: 0 },
  firstAt: Date.UTC(2025, 0, 2),
  lastAt: Date.UTC(2026, 1, 3),
  strength: 67.89,
  sources: ['gmail', 'vcard'],
  profiles: ['https://www.linkedin.com/in/ada'],
  window: { recent: 2, before: 2 },
  companions: [{ personId: 'p_bob', name: 'Bob Stone', shared: 4 }],
  recent: [{ at: Date.UTC(2026, 1, 3), channel: 'gmail', title: 'Engine notes' }],
  openThreads: [],
  ...over,
});

describe('the promotion rule', () => {
  const rule = { enabled: true, address_books: true, min_interactions: 5 };
  it('promotes address-book people and people with at least N interactions, nobody when disabled', () => {
    expect(isPromoted(rule, { inAddressBook: true, interactions: 0 })).toBe(true);
    expect(isPromoted(rule, { inAddressBook: false, interactions: 4 })).toBe(false);
    expect(isPromoted(rule, { inAddressBook: false, interactions: 5 })).toBe(true);
    expect(isPromoted({ ...rule, address_books: false }, { inAddressBook: true, interactions: 1 })).toBe(false);
    expect(isPromoted({ ...rule, min_interactions: 0 }, { inAddressBook: false, interactions: 900 })).toBe(false);
    expect(isPromoted({ ...rule, enabled: false }, { inAddressBook: true, interactions: 900 })).toBe(false);
  });

  it('derives one stable contact id per person, a UUID', () => {
    expect(contactIdForPerson('p_ada')).toBe(contactIdForPerson('p_ada'));
    expect(contactIdForPerson('p_ada')).not.toBe(contactIdForPerson('p_bob'));
    expect(contactIdForPerson('p_ada')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('a person as a contact', () => {
  it('fills names, addresses, company, category, LinkedIn and the last contact from the graph, and a nameless person is named by an address', () => {
    expect(graphFields(person({ category: { category: 'G', subcategory: 'G.2' } }))).toEqual({
      canonical_name: 'Ada King Lovelace',
      first_name: 'Ada',
      last_name: 'King Lovelace',
      emails: ['ada@example.com'],
      phones: ['+15550101001'],
      company: 'Analytical Engines',
      category_code: 'G',
      subcategory_code: 'G.2',
      linkedin_url: 'https://www.linkedin.com/in/ada',
      last_contacted: '2026-02-03',
    });
    expect(graphFields(person({ name: ' ' })).canonical_name).toBe('ada@example.com');
    // Only a LinkedIn profile, the first of several in sorted order; no interactions, no date.
    const other = graphFields(person({ profiles: ['https://github.com/ada', 'https://linkedin.com/in/zed', 'https://uk.linkedin.com/in/ada-l'], lastAt: null }));
    expect(other).toMatchObject({ linkedin_url: 'https://linkedin.com/in/zed' });
    expect(other).not.toHaveProperty('last_contacted');
    expect(graphFields(person({ profiles: ['https://github.com/ada'] }))).not.toHaveProperty('linkedin_url');
    expect(splitName('Cher')).toEqual({ first_name: 'Cher', last_name: null });
  });

  it('writes the graph story: counts, dates, strength, trend, companions, recent and open threads', () => {
    const g = buildGraphContext(person({ openThreads: [{ at: Date.UTC(2026, 1, 1), channel: 'whatsapp', title: 'Book Club' }] }));
    expect(g).toEqual({
      person_id: 'p_ada',
      counts: { email: 3, meeting: 1 },
      total_interactions: 4,
      first_interaction_at: '2025-01-02T00:00:00.000Z',
      last_interaction_at: '2026-02-03T00:00:00.000Z',
      strength: 70,
      trend: 'steady',
      sources: ['gmail', 'vcard'],
      profiles: ['https://www.linkedin.com/in/ada'],
      most_often_with: [{ person_id: 'p_bob', name: 'Bob Stone', shared: 4 }],
      recent: [{ at: '2026-02-03T00:00:00.000Z', channel: 'gmail', title: 'Engine notes' }],
      open_threads: [{ at: '2026-02-01T00:00:00.000Z', channel: 'whatsapp', title: 'Book Club' }],
    });
  });

  it('calls the trend from the last 90 days against the 90 before', () => {
    expect([trendOf({ recent: 0, before: 0 }), trendOf({ recent: 3, before: 0 }), trendOf({ recent: 6, before: 4 }), trendOf({ recent: 3, before: 4 }), trendOf({ recent: 2, before: 3 })]).toEqual([
      'quiet',
      'new',
      'rising',
      'steady',
      'falling',
    ]);
  });

  it('sends only fields no other system owns or that are still empty, and keeps what else llm_context holds', () => {
    const fields = graphFields(person({ jobTitle: 'Analyst', category: { category: 'B', subcategory: null } }));
    const g = buildGraphContext(person());
    const ownership = { company: 'twenty', job_title: 'twenty', category_code: 'twenty', subcategory_code: 'twenty', llm_context: 'kith' } as const;
    const current = { company: 'Engines Ltd', job_title: null, category_code: 'A' as const, subcategory_code: null, llm_context: { how_met: 'at a conference' } };
    const out = promotableFields(fields, g, current, ownership);
    expect(out.company).toBeUndefined(); // Twenty's, and filled
    expect(out.job_title).toBe('Analyst'); // Twenty's, but empty
    expect(out.category_code).toBeUndefined();
    expect(out.subcategory_code).toBeUndefined(); // travels only with its category
    expect(out.canonical_name).toBe('Ada King Lovelace'); // nobody's
    expect(out.llm_context).toEqual({ how_met: 'at a conference', graph: g });
    expect(promotableFields(fields, g, undefined, ownership).company).toBe('Analytical Engines'); // a new contact takes everything
    // LinkedIn and the last contact: filled while no system owns them, or while the owner's value is empty.
    const crm = { linkedin_url: 'google', last_contacted: 'notion' } as const;
    expect(promotableFields(fields, g, { linkedin_url: null, last_contacted: null }, crm)).toMatchObject({ linkedin_url: 'https://www.linkedin.com/in/ada', last_contacted: '2026-02-03' });
    const kept = promotableFields(fields, g, { linkedin_url: 'https://www.linkedin.com/in/ada-kept', last_contacted: '2026-03-01' }, crm);
    expect([kept.linkedin_url, kept.last_contacted]).toEqual([undefined, undefined]);
    expect(promotableFields(fields, g, { linkedin_url: 'https://www.linkedin.com/in/old', last_contacted: '2020-01-01' }, {})).toMatchObject({ linkedin_url: 'https://www.linkedin.com/in/ada', last_contacted: '2026-02-03' });
  });

  it('hashes what it would write: the same graph gives the same hash, a new interaction another', () => {
    const a = promotionHash(graphFields(person()), buildGraphContext(person()));
    expect(promotionHash(graphFields(person()), buildGraphContext(person()))).toBe(a);
    const more = person({ counts: { email: 4, meeting: 1, message: 0, mention: 0, call: 0 } });
    expect(promotionHash(graphFields(more), buildGraphContext(more))).not.toBe(a);
  });
});

describe('open threads', () => {
  it("a chat's last message attributed to one person alone, with two or more others in it, is theirs and open; one-to-one chats are never reported", () => {
    const t = (conversationKey: string, people: number, last: [string, number][]) => ({
      conversationKey,
      people,
      last: last.map(([personId, at]) => ({ personId, at, channel: 'whatsapp', title: conversationKey })),
    });
    const open = openThreadsByPerson([
      t('club', 3, [['p_zoe', 5 * DAY]]), // Zoë wrote last in a group: open
      t('club-answered', 3, [['p_zoe', 6 * DAY], ['p_bob', 6 * DAY]]), // you wrote last (to everyone): answered
      t('one-to-one', 1, [['p_zoe', 7 * DAY]]), // cannot tell who wrote it
      t('other-club', 2, [['p_zoe', 9 * DAY]]),
    ]);
    expect([...open.keys()]).toEqual(['p_zoe']);
    expect(open.get('p_zoe')!.map((x) => x.conversationKey)).toEqual(['other-club', 'club']);
  });
});

describe('category rules and codes', () => {
  it('parses A–H and X with an optional subcategory', () => {
    expect(parseCategoryRef('G')).toEqual({ category: 'G', subcategory: null });
    expect(parseCategoryRef('A.cousins')).toEqual({ category: 'A', subcategory: 'A.cousins' });
    expect(parseCategoryRef('Z')).toBeUndefined();
    expect(parseCategoryRef('G.')).toBeUndefined();
  });

  it('takes the first rule that matches: a mail domain (or its subdomain), or a source', () => {
    const rules = [
      { code: 'G.1', domain: 'acme.com' },
      { code: 'B', source: 'whatsapp' },
    ];
    expect(categoryByRules(rules, { emails: ['x@mail.acme.com'], sources: ['whatsapp'] })).toEqual({ category: 'G', subcategory: 'G.1' });
    expect(categoryByRules(rules, { emails: ['x@notacme.com'], sources: ['whatsapp'] })).toEqual({ category: 'B', subcategory: null });
    expect(categoryByRules(rules, { emails: [], sources: ['mbox'] })).toBeUndefined();
    expect(categoryByRules([{ code: 'A', tag: 'family' }], { emails: [], sources: [], tags: ['family'] })).toEqual({ category: 'A', subcategory: null });
  });
});

describe('the promotion and category sections of kith.config.yaml', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kith-promote-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const load = (yaml: string) => {
    writeFileSync(join(dir, 'kith.config.yaml'), yaml);
    return loadKithConfig(join(dir, 'kith.config.yaml'));
  };

  it('defaults to address books plus five interactions, no category rules', () => {
    expect(load('sources: []\n')).toMatchObject({ contacts: { promote: { enabled: true, address_books: true, min_interactions: 5 } }, categories: [] });
    expect(load('contacts:\n  promote:\n    min_interactions: 12\n').contacts.promote).toEqual({ enabled: true, address_books: true, min_interactions: 12 });
  });

  it('names the key of a bad value', () => {
    expect(() => load('contacts:\n  promote:\n    min_interactions: -1\n')).toThrow(/contacts\.promote\.min_interactions \(line 3\)/);
    expect(() => load('contacts:\n  promote:\n    adress_books: true\n')).toThrow(/contacts\.promote/);
    expect(() => load('categories:\n  - { code: Q, domain: acme.com }\n')).toThrow(/categories\[0\]\.code.*A, B, C/);
    expect(() => load('categories:\n  - { code: G }\n')).toThrow(/categories\[0\].*exactly one of domain, source or tag/);
  });
});
