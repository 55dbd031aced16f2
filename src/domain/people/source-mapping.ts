import type { InteractionSourceType } from './interaction-event.js';

/**
 * Which cached count each interaction source type feeds (mail → emails, calendar → meetings,
 * notes → mentions, chats and SMS → messages, plus phone → calls and LinkedIn messages → messages). This table is the only place the mapping lives: the
 * delta path, the re-aggregation SQL and `stats verify` are all generated from it, so they can
 * never disagree with each other.
 */
export type CountField = 'email_count' | 'meeting_count' | 'message_count' | 'mention_count' | 'call_count';

export const COUNT_FIELDS: readonly CountField[] = ['email_count', 'meeting_count', 'message_count', 'mention_count', 'call_count'];

export const SOURCE_COUNT_FIELD: Readonly<Record<InteractionSourceType, CountField>> = {
  gmail: 'email_count',
  calendar: 'meeting_count',
  vault: 'mention_count',
  granola: 'mention_count',
  imessage: 'message_count',
  whatsapp: 'message_count',
  sms: 'message_count',
  slack: 'message_count',
  linkedin: 'message_count',
  phone: 'call_count',
};

export const INTERACTION_SOURCE_TYPES = Object.keys(SOURCE_COUNT_FIELD) as InteractionSourceType[];

/** Chat-like sources: one interaction per message with its sender (or per recipient when self sent it). */
export const CHAT_SOURCES: ReadonlySet<InteractionSourceType> = new Set(['imessage', 'sms', 'whatsapp', 'slack', 'linkedin']);

/**
 * `people.source_mask` stores the set of source types a person has interactions in as bits,
 * so the delta path can add a source with `mask | bit` in SQL on both engines. Append only:
 * a bit's meaning never changes once stored.
 */
export const SOURCE_BIT: Readonly<Record<InteractionSourceType, number>> = {
  gmail: 1,
  calendar: 2,
  vault: 4,
  granola: 8,
  imessage: 16,
  whatsapp: 32,
  sms: 64,
  slack: 128,
  phone: 256,
  linkedin: 512,
};

export function isInteractionSourceType(v: unknown): v is InteractionSourceType {
  return typeof v === 'string' && Object.hasOwn(SOURCE_COUNT_FIELD, v);
}

/** Bits → sorted source type names. */
export function decodeSources(mask: number): InteractionSourceType[] {
  return INTERACTION_SOURCE_TYPES.filter((t) => (mask & SOURCE_BIT[t]) !== 0).sort();
}

export function encodeSources(types: Iterable<InteractionSourceType>): number {
  let m = 0;
  for (const t of types) m |= SOURCE_BIT[t];
  return m;
}

/** What the cached columns of one person hold; also what a recomputation yields. */
export interface PersonStats {
  email_count: number;
  meeting_count: number;
  message_count: number;
  mention_count: number;
  call_count: number;
  source_mask: number;
  first_interaction_at: number | null;
  last_interaction_at: number | null;
}

export function emptyStats(): PersonStats {
  return { email_count: 0, meeting_count: 0, message_count: 0, mention_count: 0, call_count: 0, source_mask: 0, first_interaction_at: null, last_interaction_at: null };
}

/** Fold one interaction into a stats accumulator (the delta of a batch is built this way). */
export function addInteraction(s: PersonStats, sourceType: InteractionSourceType, occurredAt: number): void {
  s[SOURCE_COUNT_FIELD[sourceType]] += 1;
  s.source_mask |= SOURCE_BIT[sourceType];
  if (s.first_interaction_at === null || occurredAt < s.first_interaction_at) s.first_interaction_at = occurredAt;
  if (s.last_interaction_at === null || occurredAt > s.last_interaction_at) s.last_interaction_at = occurredAt;
}

/** Field names whose values differ between cached and recomputed stats. */
export function diffStats(cached: PersonStats, computed: PersonStats): (keyof PersonStats)[] {
  return (Object.keys(computed) as (keyof PersonStats)[]).filter((k) => (cached[k] ?? null) !== (computed[k] ?? null));
}

/** The relationship categories. */
export const CATEGORY_CODES = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'X'] as const;
export type CategoryCode = (typeof CATEGORY_CODES)[number];

