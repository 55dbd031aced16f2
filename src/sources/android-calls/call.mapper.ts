import type { InteractionEvent, ParticipantRef, SkippedRecord } from '../source-event.js';
import type { XmlRecord } from './xml-records.js';

interface CallType {
  label: string;
  outgoing: boolean;
  /** Whether the call counts as an interaction (the interaction rules: "a call one"). */
  counts: boolean;
}

/**
 * `<call type>` of SMS Backup & Restore (Android CallLog.Calls.TYPE). Every call with a known
 * other party is one interaction, answered or not: a missed, rejected or voicemail call is
 * still that person reaching out, which is what recency and frequency measure. Blocked calls
 * (6) do not count: the user chose to shut that caller out, typically spam.
 */
export const CALL_TYPES: Record<string, CallType> = {
  '1': { label: 'Incoming call', outgoing: false, counts: true },
  '2': { label: 'Outgoing call', outgoing: true, counts: true },
  '3': { label: 'Missed call', outgoing: false, counts: true },
  '4': { label: 'Voicemail', outgoing: false, counts: true },
  '5': { label: 'Rejected call', outgoing: false, counts: true },
  '6': { label: 'Blocked call', outgoing: false, counts: false },
  '7': { label: 'Call answered on another device', outgoing: false, counts: true },
};

/** Android's stand-ins for "no number": private, unknown and payphone callers (presentation 2–4). */
const NO_NUMBER = new Set(['', '-1', '-2', '-3', 'null', 'Unknown', 'Private']);

export function cleanName(name: string | undefined): string | undefined {
  const n = name?.trim();
  return !n || n === '(Unknown)' || n === 'null' ? undefined : n;
}

export function epochMs(value: string | undefined): number | undefined {
  if (!value || !/^\d{9,15}$/.test(value)) return undefined;
  return Number(value);
}

function formatDuration(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${m}:${String(s).padStart(2, '0')}`;
}

/**
 * One `<call>` → one 'phone' interaction with the other party: `from` for incoming, missed and
 * the like; `participants` with `fromSelf` for outgoing. Null for calls that do not count
 * (blocked) or have no number to link (withheld caller id).
 */
export function mapCall(rec: XmlRecord, file: string): InteractionEvent | SkippedRecord | null {
  const a = rec.attrs;
  const skip = (reason: string): SkippedRecord => ({ kind: 'skipped', file, line: rec.line, reason });
  const type = CALL_TYPES[a.type ?? ''];
  if (!type) return skip(`unknown call type '${a.type ?? ''}'`);
  if (!type.counts) return null;
  const number = (a.number ?? '').replace(/\s+/g, '');
  if (NO_NUMBER.has(number) || (a.presentation && a.presentation !== '1' && !number)) return null;
  const timestamp = epochMs(a.date);
  if (timestamp === undefined) return skip(`call date '${a.date ?? ''}' is not epoch milliseconds`);
  const duration = Number(a.duration ?? '0');

  const name = cleanName(a.contact_name);
  const other: ParticipantRef = name ? { phone: number, name } : { phone: number };
  const event: InteractionEvent = {
    kind: 'interaction',
    sourceType: 'phone',
    externalId: `call:${timestamp}:${number}:${a.type}`,
    timestamp,
    title: `${type.label} · ${name ?? number}`,
    conversationKey: `phone:${number}`,
    participants: type.outgoing ? [other] : [],
  };
  if (Number.isFinite(duration) && duration > 0) event.snippet = `${type.label}, ${formatDuration(duration)}`;
  if (type.outgoing) event.fromSelf = true;
  else event.from = other;
  return event;
}
