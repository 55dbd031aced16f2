const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** Obsolete zone names of RFC 5322 §4.3, in minutes east of UTC; others count as -0000. */
const ZONES: Record<string, number> = {
  ut: 0, utc: 0, gmt: 0, z: 0,
  est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420,
};

const RFC5322 =
  /^(?:[a-z]{3,9}\s*,?\s*)?(\d{1,2})\s*[- ]\s*([a-z]{3,9})\.?\s*[- ]\s*(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(?:([+-])(\d{2}):?(\d{2})|([a-z]{1,5}))?$/i;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

function stripComments(s: string): string {
  if (!s.includes('(')) return s.replace(/\s+/g, ' ').trim();
  let out = '';
  let depth = 0;
  for (const c of s) {
    if (c === '(') depth++;
    else if (c === ')' && depth > 0) depth--;
    else if (depth === 0) out += c;
  }
  return out.replace(/\s+/g, ' ').trim();
}

/**
 * Parse an RFC 5322 Date header ("Tue, 2 Jan 2024 09:05:00 +0100 (CET)", two-digit years,
 * obsolete zone names, a missing zone taken as UTC) to epoch ms; null when it is not a date
 * (the message is then skipped with the reason, not given an invented time).
 */
export function parseMailDate(raw: string): number | null {
  const s = stripComments(raw);
  const m = RFC5322.exec(s);
  if (!m) {
    if (ISO.test(s)) {
      const t = Date.parse(s);
      return Number.isNaN(t) ? null : t;
    }
    return null;
  }
  const [, d, mon, y, hh, mm, ss, sign, oh, om, zname] = m;
  const month = MONTHS.indexOf(mon!.slice(0, 3).toLowerCase());
  if (month < 0) return null;
  let year = Number(y);
  if (y!.length === 2) year += year < 50 ? 2000 : 1900;
  else if (y!.length === 3) year += 1900;
  const day = Number(d);
  const hour = Number(hh);
  const min = Number(mm);
  const sec = ss ? Number(ss) : 0;
  if (hour > 23 || min > 59 || sec > 60) return null;
  let offset = 0;
  if (sign) {
    const h = Number(oh);
    const mi = Number(om);
    if (h > 23 || mi > 59) return null;
    offset = (sign === '-' ? -1 : 1) * (h * 60 + mi);
  } else if (zname) offset = ZONES[zname.toLowerCase()] ?? 0;
  const utc = Date.UTC(year, month, day, hour, min, Math.min(sec, 59));
  // Reject impossible calendar dates (31 Feb) instead of letting Date roll them over.
  const check = new Date(utc);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month) return null;
  return utc - offset * 60_000;
}
