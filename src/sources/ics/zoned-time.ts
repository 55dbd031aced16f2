const formats = new Map<string, Intl.DateTimeFormat | null>();

function formatFor(tz: string): Intl.DateTimeFormat | null {
  if (!formats.has(tz)) {
    let f: Intl.DateTimeFormat | null = null;
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
      });
    } catch {
      f = null; // not an IANA zone name (e.g. Outlook's "W. Europe Standard Time")
    }
    formats.set(tz, f);
  }
  return formats.get(tz)!;
}

/**
 * Epoch ms of a wall-clock time in an IANA time zone, via Intl — for events whose TZID has no
 * VTIMEZONE in the file. Null when the zone name is unknown.
 */
export function zonedEpoch(y: number, mo: number, d: number, h: number, mi: number, s: number, tz: string): number | null {
  const f = formatFor(tz);
  if (!f) return null;
  const offsetAt = (t: number): number => {
    const p: Record<string, number> = {};
    for (const part of f.formatToParts(new Date(t))) if (part.type !== 'literal') p[part.type] = Number(part.value);
    return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour! % 24, p.minute!, p.second!) - t;
  };
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  const first = wall - offsetAt(wall);
  return wall - offsetAt(first);
}
