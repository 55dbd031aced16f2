/**
 * Strength of a person's relationship towards self, 0–100. Pure; computed in
 * phase 3 for every person from their cached counts and recent interactions.
 *
 *   strength = 100 × (0.45·R + 0.35·F + 0.20·V), rounded to one decimal
 *
 *   R, recency   = 0.5 ^ (days since the last interaction / 30)
 *                  a 30-day half-life: today 1, a month ago 0.5, a year ago ≈ 0; never → 0.
 *                  An interaction dated in the future counts as today.
 *   F, frequency = 1 − e^(−w / 10), where w is the channel-weighted number of interactions in
 *                  the last 90 days: meeting 3, call 3, email 1, mention 1, message 0.5
 *                  (a meeting says more than a chat line). Saturates: w = 10 → 0.63, 30 → 0.95.
 *   V, variety   = channels with at least one interaction ever / 5, over the five channels
 *                  email, meeting, message, call, mention. Many channels → a broader tie.
 *
 * Weights favour recency (who you are in touch with now), then volume, then breadth.
 */
export interface StrengthInput {
  /** Epoch ms of the last interaction, or null when there is none. */
  lastInteractionAt: number | null;
  /** Interactions per channel in the last 90 days. */
  recent: ChannelCounts;
  /** Interactions per channel ever (the cached counts). */
  total: ChannelCounts;
}

export interface ChannelCounts {
  email: number;
  meeting: number;
  message: number;
  call: number;
  mention: number;
}

export const STRENGTH_WEIGHTS = { recency: 0.45, frequency: 0.35, variety: 0.2 } as const;
export const RECENCY_HALF_LIFE_DAYS = 30;
export const FREQUENCY_WINDOW_DAYS = 90;
export const FREQUENCY_SCALE = 10;
export const CHANNEL_WEIGHTS: Readonly<ChannelCounts> = { meeting: 3, call: 3, email: 1, mention: 1, message: 0.5 };

const DAY_MS = 86_400_000;

export function recencyScore(lastInteractionAt: number | null, now: number): number {
  if (lastInteractionAt === null) return 0;
  const days = Math.max(0, now - lastInteractionAt) / DAY_MS;
  return 0.5 ** (days / RECENCY_HALF_LIFE_DAYS);
}

export function frequencyScore(recent: ChannelCounts): number {
  let w = 0;
  for (const k of Object.keys(CHANNEL_WEIGHTS) as (keyof ChannelCounts)[]) w += CHANNEL_WEIGHTS[k] * Math.max(0, recent[k]);
  return 1 - Math.exp(-w / FREQUENCY_SCALE);
}

export function varietyScore(total: ChannelCounts): number {
  const keys = Object.keys(CHANNEL_WEIGHTS) as (keyof ChannelCounts)[];
  return keys.filter((k) => total[k] > 0).length / keys.length;
}

export function strength(input: StrengthInput, now: number): number {
  const s =
    STRENGTH_WEIGHTS.recency * recencyScore(input.lastInteractionAt, now) +
    STRENGTH_WEIGHTS.frequency * frequencyScore(input.recent) +
    STRENGTH_WEIGHTS.variety * varietyScore(input.total);
  return Math.round(s * 1000) / 10;
}

export function frequencyWindowStart(now: number): number {
  return now - FREQUENCY_WINDOW_DAYS * DAY_MS;
}
