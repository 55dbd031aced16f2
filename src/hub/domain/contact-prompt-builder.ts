import { type CanonicalContact, CATEGORY_LABELS, type GraphContext, type LlmContext } from './canonical-contact.js';

/** Interaction figures for the person linked to a contact (the people graph's people and interactions). */
export interface PersonSummary {
  counts: Partial<Record<'email' | 'meeting' | 'message' | 'mention' | 'call', number>>;
  /** Relationship strength as stored by the people side; printed as given. */
  strength?: number | null;
  firstInteractionAt?: string | null;
  lastInteractionAt?: string | null;
  sources?: readonly string[];
}

export interface InteractionSummary {
  at: string;
  source: string;
  title?: string | null;
  snippet?: string | null;
}

export interface ContactExtras {
  person?: PersonSummary;
  /** Most recent first; printed in the order given. */
  recentInteractions?: readonly InteractionSummary[];
}

const COUNT_ORDER = ['email', 'meeting', 'message', 'mention', 'call'] as const;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const text = (s: string | null | undefined) => (s == null ? '' : s.replace(/\s+/g, ' ').trim());
const day = (iso: string) => (/^\d{4}-\d{2}-\d{2}T/.test(iso) ? iso.slice(0, 10) : iso);
const list = (xs: readonly string[] | undefined) => (xs ?? []).map(text).filter(Boolean).join(', ');

function line(out: string[], label: string, value: string | null | undefined): void {
  const v = text(value);
  if (v) out.push(`${label}: ${v}`);
}

function categoryText(c: CanonicalContact): string {
  if (!c.category_code) return '';
  const label = `${c.category_code} (${CATEGORY_LABELS[c.category_code]})`;
  return c.subcategory_code ? `${label}, subcategory ${c.subcategory_code}` : label;
}

function relationship(ctx: LlmContext): string[] {
  const out: string[] = [];
  line(out, 'How met', ctx.how_met);
  line(out, 'Relationship arc', ctx.relationship_arc);
  line(out, 'Current state', ctx.current_state);
  const scales = [
    ctx.closeness_level != null ? `closeness ${ctx.closeness_level}/10` : '',
    ctx.emotional_depth != null ? `emotional depth ${ctx.emotional_depth}/10` : '',
  ].filter(Boolean);
  if (scales.length) out.push(`Levels: ${scales.join(', ')}`);
  line(out, 'Communication style', ctx.communication_style);
  line(out, 'Personality', ctx.personality_notes);
  line(out, 'Key interests', list(ctx.key_interests));
  line(out, 'Conversation topics', list(ctx.conversation_topics));
  line(out, 'Strengths', list(ctx.strengths));
  line(out, 'Tensions', list(ctx.tensions));
  line(out, 'Blind spots', list(ctx.blind_spots));
  const dates = (ctx.important_dates ?? []).filter((d) => text(d.date) || text(d.event));
  if (dates.length) {
    out.push('Important dates:');
    for (const d of dates) out.push(`- ${text(d.date)}: ${text(d.event)}${text(d.significance) ? ` (${text(d.significance)})` : ''}`);
  }
  return out;
}

function interactions(extras: ContactExtras): string[] {
  const out: string[] = [];
  const p = extras.person;
  if (p) {
    const counts = COUNT_ORDER.filter((k) => (p.counts[k] ?? 0) > 0).map((k) => plural(p.counts[k]!, k));
    out.push(`Counts: ${counts.length ? counts.join(', ') : 'none recorded'}`);
    if (p.strength != null) out.push(`Relationship strength: ${Number.isInteger(p.strength) ? p.strength : p.strength.toFixed(2)}`);
    if (p.firstInteractionAt || p.lastInteractionAt) {
      out.push(`Interacting since ${p.firstInteractionAt ? day(p.firstInteractionAt) : 'unknown'}, last on ${p.lastInteractionAt ? day(p.lastInteractionAt) : 'unknown'}`);
    }
    line(out, 'Seen in', list(p.sources));
  }
  const recent = extras.recentInteractions ?? [];
  if (recent.length) {
    out.push('Recent interactions:');
    for (const r of recent) {
      const what = [text(r.title), text(r.snippet)].filter(Boolean).join(' — ');
      out.push(`- ${day(r.at)} ${r.source}${what ? `: ${what}` : ''}`);
    }
  }
  return out;
}

/**
 * What the people graph wrote into llm_context.graph. Figures the linked person's live extras
 * already print (counts, dates, recent interactions) are left to them.
 */
function graphLines(g: GraphContext, extras: ContactExtras): string[] {
  const out: string[] = [];
  if (!extras.person) {
    const counts = Object.entries(g.counts ?? {}).filter(([, n]) => n > 0).map(([k, n]) => plural(n, k));
    if (counts.length) out.push(`Counts: ${counts.join(', ')}`);
    if (g.first_interaction_at || g.last_interaction_at) {
      out.push(`Interacting since ${g.first_interaction_at ? day(g.first_interaction_at) : 'unknown'}, last on ${g.last_interaction_at ? day(g.last_interaction_at) : 'unknown'}`);
    }
  }
  const strength = g.strength != null ? `strength about ${g.strength} of 100` : '';
  const trend = g.trend ? `${g.trend} (last 90 days against the 90 before)` : '';
  if (strength || trend) out.push(`Contact: ${[strength, trend].filter(Boolean).join(', ')}`);
  if (g.most_often_with?.length) out.push(`Most often with: ${g.most_often_with.map((c) => `${text(c.name) || c.person_id} (${c.shared})`).join(', ')}`);
  line(out, 'Profiles', list(g.profiles));
  if (g.open_threads?.length) {
    out.push('Open threads (their message is the last one):');
    for (const t of g.open_threads) out.push(`- ${day(t.at)} ${t.channel}: ${text(t.title)}`);
  }
  if (!extras.recentInteractions?.length && g.recent?.length) {
    out.push('Recent interactions:');
    for (const r of g.recent) out.push(`- ${day(r.at)} ${r.channel}${text(r.title) ? `: ${text(r.title)}` : ''}`);
  }
  return out;
}

/**
 * The context of one contact as plain text for an LLM prompt. Sections
 * appear in a fixed order and empty values are left out, so the same record always gives the
 * same text. Per-system ids are never included (they are not in the canonical record).
 */
export function buildContactContext(contact: CanonicalContact, extras: ContactExtras = {}): string {
  const out: string[] = [`## Contact: ${text(contact.canonical_name)}`];
  if (contact.deleted_at) out.push(`(deleted on ${day(contact.deleted_at)})`);
  const full = [text(contact.first_name), text(contact.last_name)].filter(Boolean).join(' ');
  if (full && full !== text(contact.canonical_name)) line(out, 'Full name', full);
  line(out, 'Category', categoryText(contact));
  line(out, 'Company', contact.company);
  line(out, 'Job title', contact.job_title);
  line(out, 'Emails', list(contact.emails));
  line(out, 'Phones', list(contact.phones));
  line(out, 'Notes', contact.notes);
  const rel = contact.llm_context ? relationship(contact.llm_context) : [];
  if (rel.length) out.push('', '### Relationship', ...rel);
  const inter = interactions(extras);
  if (inter.length) out.push('', '### Interactions', ...inter);
  const graph = contact.llm_context?.graph ? graphLines(contact.llm_context.graph, extras) : [];
  if (graph.length) out.push('', '### What Kith has seen', ...graph);
  return out.join('\n');
}

/** A prompt with one contact: the base prompt, a blank line, then the contact context. */
export function buildPromptWithContact(basePrompt: string, contact: CanonicalContact, extras?: ContactExtras): string {
  const base = basePrompt.trim();
  const ctx = buildContactContext(contact, extras);
  return base ? `${base}\n\n${ctx}` : ctx;
}

/** The context of several contacts: a count line, then each contact (in the order given) separated by a rule. */
export function buildMultiContactContext(contacts: readonly (CanonicalContact | { contact: CanonicalContact; extras?: ContactExtras })[]): string {
  return joinContactContexts(contacts.map((c) => ('contact' in c ? buildContactContext(c.contact, c.extras) : buildContactContext(c))));
}

/** Contexts already built, one per contact: a count line, then each separated by a rule. */
export function joinContactContexts(parts: readonly string[]): string {
  return [`# ${plural(parts.length, 'contact')}`, ...parts].join('\n\n---\n\n');
}
