import { CursorInvalidError } from '../../errors.js';

/**
 * Where one calendar's read resumes: no `syncToken` — the first (full) read, at `pageToken` when
 * it stopped mid-way; a `syncToken` — the changes since it, at `pageToken` when a multi-page
 * change list stopped mid-way.
 */
export interface CalendarPosition {
  syncToken?: string;
  pageToken?: string;
}

/** The source's cursor: one position per calendar (a calendar not in it is read in full). */
export interface GoogleCalendarCursor {
  v: 1;
  calendars: Record<string, CalendarPosition>;
}

export function formatCalendarCursor(c: GoogleCalendarCursor): string {
  return JSON.stringify(c);
}

const refuse = () => new CursorInvalidError('not a cursor the Google Calendar source wrote', 'google_calendar_bad_cursor');

export function parseCalendarCursor(raw: string): GoogleCalendarCursor {
  let c: unknown;
  try {
    c = JSON.parse(raw);
  } catch {
    throw refuse();
  }
  const x = c as { v?: unknown; calendars?: unknown };
  if (x?.v !== 1 || typeof x.calendars !== 'object' || x.calendars === null || Array.isArray(x.calendars)) throw refuse();
  const calendars: Record<string, CalendarPosition> = {};
  for (const [id, p] of Object.entries(x.calendars as Record<string, unknown>)) {
    const pos = p as { syncToken?: unknown; pageToken?: unknown } | null;
    if (typeof pos !== 'object' || pos === null) throw refuse();
    if ((pos.syncToken !== undefined && typeof pos.syncToken !== 'string') || (pos.pageToken !== undefined && typeof pos.pageToken !== 'string')) throw refuse();
    calendars[id] = { ...(pos.syncToken ? { syncToken: pos.syncToken } : {}), ...(pos.pageToken ? { pageToken: pos.pageToken } : {}) };
  }
  return { v: 1, calendars };
}
