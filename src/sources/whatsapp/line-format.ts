/**
 * The line formats of WhatsApp's "Export chat" text. Android: `12/31/23, 9:41 PM - Ada: hi`;
 * iOS: `[31/12/2023, 21:41:05] Ada: hi`. Dates are D/M/Y, M/D/Y or Y-M-D with `/`, `.` or `-`,
 * 2- or 4-digit years; times 24h or 12h (AM/PM, a.m., with a normal or narrow no-break space),
 * with or without seconds. The export carries no time zone.
 */

/** Bidi marks and BOM that exports put at line starts and around names and phone numbers. */
export const MARKS = /[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

const DATE = String.raw`(\d{1,4})([./-])(\d{1,2})[./-](\d{1,4})`;
const TIME = String.raw`(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?(?:\s*([AaPp])\.?\s*[Mm]\.?)?`;
const IOS = new RegExp(String.raw`^\[${DATE},?\s+${TIME}\]\s?(.*)$`, 's');
const ANDROID = new RegExp(String.raw`^${DATE},?\s+${TIME}\s+[-–]\s(.*)$`, 's');
/** Starts like a dated line (three number groups, then a time soon after) but may not parse. */
const DATELIKE = /^\[?\s*(?:\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|[A-Za-z]{3,9}\.? \d{1,2},? \d{4})\D{1,6}\d{1,2}[:.]\d{2}/;

export type DateOrder = 'dmy' | 'mdy' | 'ymd';

export interface HeaderLine {
  /** The three date fields as written, and the separator between the first two. */
  a: number;
  b: number;
  c: number;
  aDigits: number;
  cDigits: number;
  sep: string;
  hour: number;
  minute: number;
  second: number;
  /** 'a' / 'p' for a 12-hour clock; upper-case letters recorded for the order fallback. */
  ampm?: 'a' | 'p';
  ampmUpper: boolean;
  /** Everything after the timestamp: `Name: text` or a system notice. */
  rest: string;
}

/** A dated line, or null for a continuation (or unknown) line. */
export function matchHeader(rawLine: string): HeaderLine | null {
  const line = rawLine.replace(/^[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\s]+/, '');
  const m = IOS.exec(line) ?? ANDROID.exec(line);
  if (!m) return null;
  const [, a, sep, b, c, hh, mm, ss, ap, rest] = m;
  return {
    a: Number(a),
    b: Number(b),
    c: Number(c),
    aDigits: a!.length,
    cDigits: c!.length,
    sep: sep!,
    hour: Number(hh),
    minute: Number(mm),
    second: ss ? Number(ss) : 0,
    ampm: ap ? (ap.toLowerCase() as 'a' | 'p') : undefined,
    ampmUpper: ap ? ap === ap.toUpperCase() : false,
    rest: rest!,
  };
}

/** A line that starts like a timestamp in a format we do not know: reported, not glued on. */
export function looksDated(rawLine: string): boolean {
  return DATELIKE.test(rawLine.replace(/^[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\s]+/, ''));
}

/** What a single line says about field order: a first field > 12 is a day, and so on. */
export function orderHint(h: HeaderLine): DateOrder | undefined {
  if (h.aDigits === 4) return 'ymd';
  if (h.sep === '.') return 'dmy'; // dotted dates are day-first in every locale that uses them
  if (h.a > 12 && h.b <= 12) return 'dmy';
  if (h.b > 12 && h.a <= 12) return 'mdy';
  return undefined;
}

/**
 * Order when no line decides (every day and month ≤ 12): month-first for a 12-hour clock
 * written with capital AM/PM (the US formats), day-first otherwise (most other locales,
 * including en-GB/en-IN "am/pm").
 */
export function fallbackOrder(sample: HeaderLine | undefined): DateOrder {
  if (sample?.aDigits === 4) return 'ymd';
  return sample?.ampm && sample.ampmUpper && sample.sep !== '.' ? 'mdy' : 'dmy';
}

export interface LocalTime {
  /** `YYYY-MM-DDTHH:MM:SS` exactly as the export says it, zone-less: the id basis. */
  key: string;
  /** Epoch ms, the wall time read in the process's local time zone (TZ). */
  epoch: number;
  /** The wall time read as UTC: only for ordering and pruning, never stored. */
  wallMs: number;
}

/** The line's local time under a field order; null for impossible values (13th month, 25:00). */
export function localTime(h: HeaderLine, order: DateOrder): LocalTime | null {
  let y: number;
  let mo: number;
  let d: number;
  if (order === 'ymd') [y, mo, d] = [h.a, h.b, h.c];
  else if (order === 'dmy') [d, mo, y] = [h.a, h.b, h.c];
  else [mo, d, y] = [h.a, h.b, h.c];
  if (order !== 'ymd' && h.cDigits === 2) y += 2000;
  let hour = h.hour;
  if (h.ampm) {
    if (hour < 1 || hour > 12) return null;
    hour = (hour % 12) + (h.ampm === 'p' ? 12 : 0);
  }
  if (y < 1970 || y > 2999 || mo < 1 || mo > 12 || d < 1 || hour > 23 || h.minute > 59 || h.second > 59) return null;
  const wallMs = Date.UTC(y, mo - 1, d, hour, h.minute, h.second);
  if (new Date(wallMs).getUTCDate() !== d) return null; // 31 Feb
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return {
    key: `${p(y, 4)}-${p(mo)}-${p(d)}T${p(hour)}:${p(h.minute)}:${p(h.second)}`,
    epoch: new Date(y, mo - 1, d, hour, h.minute, h.second).getTime(),
    wallMs,
  };
}
