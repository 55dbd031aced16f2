import { SOURCE_COUNT_FIELD, isInteractionSourceType } from '../domain/people/source-mapping.js';
import type { Channel } from './api-params.js';

export interface MonthlySeries {
  /** Months as `YYYY-MM` (UTC), every month from the first to the last interaction, gaps included. */
  months: string[];
  /** One count per month for each channel that has at least one interaction. */
  channels: Partial<Record<Channel, number[]>>;
}

/** The channel an interaction counts toward (the same table that fills the people's count columns). */
export function channelOf(sourceType: string): Channel | undefined {
  return isInteractionSourceType(sourceType) ? (SOURCE_COUNT_FIELD[sourceType].replace('_count', '') as Channel) : undefined;
}

const monthKey = (ms: number) => new Date(ms).toISOString().slice(0, 7);

function nextMonth(key: string): string {
  const [y, m] = key.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

/** Interactions per month by channel, from (source type, time, count) rows grouped by day or finer. */
export function monthlyByChannel(rows: readonly { sourceType: string; occurredAt: number; n?: number }[]): MonthlySeries {
  if (rows.length === 0) return { months: [], channels: {} };
  let first = Infinity;
  let last = -Infinity;
  for (const r of rows) {
    first = Math.min(first, r.occurredAt);
    last = Math.max(last, r.occurredAt);
  }
  const months: string[] = [];
  const end = monthKey(last);
  // Bounded: a span of centuries would be a data error, not a chart.
  for (let k = monthKey(first); months.length < 1200; k = nextMonth(k)) {
    months.push(k);
    if (k === end) break;
  }
  const index = new Map(months.map((m, i) => [m, i]));
  const channels: Partial<Record<Channel, number[]>> = {};
  for (const r of rows) {
    const ch = channelOf(r.sourceType);
    const i = index.get(monthKey(r.occurredAt));
    if (!ch || i === undefined) continue;
    (channels[ch] ??= new Array<number>(months.length).fill(0))[i]! += r.n ?? 1;
  }
  return { months, channels };
}
