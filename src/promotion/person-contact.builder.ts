import type { ContactFields, GraphContext } from '../hub/domain/canonical-contact.js';
import { contentHash } from '../hub/domain/content-hash.js';
import { isEmptyValue } from '../hub/domain/contact-normalise.js';
import type { ContactFieldKey } from '../hub/domain/contact-content.js';
import type { FieldOwnership } from '../hub/domain/field-ownership.js';
import type { PersonGraph } from './person-graph.js';
import type { PromotionRule } from './promotion-config.js';

/*
 * Pure: a person of the graph → the fields of its canonical contact and its llm_context.
 */

const iso = (ms: number | null) => (ms == null ? null : new Date(ms).toISOString());
const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** Whether the rule promotes a person: found in an address book, or at least `min_interactions` interactions. */
export function isPromoted(rule: PromotionRule, p: { inAddressBook: boolean; interactions: number }): boolean {
  if (!rule.enabled) return false;
  if (rule.address_books && p.inAddressBook) return true;
  return rule.min_interactions > 0 && p.interactions >= rule.min_interactions;
}

/**
 * The trend of how often you are in touch: the last 90 days against the 90 before. 'new' when
 * nothing came before, 'quiet' when nothing in either; rising or falling when one is at least
 * half as much again as the other, else steady.
 */
export function trendOf(w: { recent: number; before: number }): NonNullable<GraphContext['trend']> {
  if (w.recent === 0 && w.before === 0) return 'quiet';
  if (w.before === 0) return 'new';
  if (w.recent >= w.before * 1.5) return 'rising';
  if (w.recent * 1.5 <= w.before) return 'falling';
  return 'steady';
}

/**
 * Strength (0–100) to the nearest 5: it decays a little every day, and a contact is rewritten
 * only when it has moved by a step someone would notice.
 */
export function strengthBucket(s: number | null): number | null {
  return s == null ? null : Math.round(s / 5) * 5;
}

/** The graph's story of a person for `llm_context.graph`. Same graph → same object. */
export function buildGraphContext(p: PersonGraph): GraphContext {
  return {
    person_id: p.id,
    counts: Object.fromEntries(Object.entries(p.counts).filter(([, n]) => n > 0)),
    total_interactions: total(p.counts),
    first_interaction_at: iso(p.firstAt),
    last_interaction_at: iso(p.lastAt),
    strength: strengthBucket(p.strength),
    trend: trendOf(p.window),
    sources: [...p.sources].sort(),
    profiles: [...p.profiles].sort(),
    most_often_with: p.companions.map((c) => ({ person_id: c.personId, name: c.name, shared: c.shared })),
    recent: p.recent.map((r) => ({ at: iso(r.at)!, channel: r.channel, title: r.title })),
    open_threads: p.openThreads.map((r) => ({ at: iso(r.at)!, channel: r.channel, title: r.title })),
  };
}

/** First and last name from a display name: the first word, and the rest. */
export function splitName(name: string): { first_name: string | null; last_name: string | null } {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (parts.length < 2) return { first_name: parts[0] ?? null, last_name: null };
  return { first_name: parts[0]!, last_name: parts.slice(1).join(' ') };
}

/** The contact fields the graph knows (llm_context aside); a person with no name is named by an address. */
export function graphFields(p: PersonGraph): Partial<ContactFields> {
  const name = p.name.trim() || p.emails[0] || p.phones[0] || p.profiles[0] || p.id;
  const out: Partial<ContactFields> = {
    canonical_name: name,
    ...(p.name.trim() ? splitName(p.name) : {}),
    emails: [...p.emails],
    phones: [...p.phones],
  };
  if (p.company) out.company = p.company;
  if (p.jobTitle) out.job_title = p.jobTitle;
  if (p.category) {
    out.category_code = p.category.category;
    out.subcategory_code = p.category.subcategory;
  }
  const linkedin = linkedinProfile(p.profiles);
  if (linkedin) out.linkedin_url = linkedin;
  if (p.lastAt != null) out.last_contacted = new Date(p.lastAt).toISOString().slice(0, 10);
  return out;
}

/** The person's LinkedIn profile among the URLs the sources hold (the first, in sorted order, when several). */
export function linkedinProfile(profiles: readonly string[]): string | null {
  const found = profiles.filter((u) => /^https?:\/\/([a-z]{2,3}\.)?linkedin\.com\/in\//i.test(u.trim())).map((u) => u.trim()).sort();
  return found[0] ?? null;
}

/**
 * What the promotion sends for a contact: the graph's fields that no other configured system
 * owns, or that hold nothing yet in the canonical record (`current`); llm_context always (Kith
 * owns it), merged into whatever else the record's llm_context holds.
 */
export function promotableFields(
  fields: Partial<ContactFields>,
  graph: GraphContext,
  current: Partial<ContactFields> | undefined,
  ownership: FieldOwnership,
): Partial<ContactFields> {
  const out: Partial<Record<ContactFieldKey, unknown>> = {};
  for (const [k, v] of Object.entries(fields) as [ContactFieldKey, unknown][]) {
    const owner = ownership[k];
    if (!current || owner === undefined || owner === 'kith' || isEmptyValue(current[k])) out[k] = v;
  }
  // The subcategory travels with its category: never one without the other.
  if ((out.category_code === undefined) !== (out.subcategory_code === undefined)) {
    delete out.category_code;
    delete out.subcategory_code;
  }
  out.llm_context = { ...(current?.llm_context ?? {}), graph };
  return out as Partial<ContactFields>;
}

/** Hash of what the promotion would write for a person: a person whose hash is unchanged is not written again. */
export function promotionHash(fields: Partial<ContactFields>, graph: GraphContext): string {
  return contentHash({ ...fields, llm_context: { graph } });
}
