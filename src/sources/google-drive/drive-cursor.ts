import { CursorInvalidError } from '../../errors.js';

/**
 * Where a Drive read resumes. `full`: the first read (or a re-read), listing files from
 * `pageToken`, with `startPageToken` taken before listing began so that nothing changed
 * meanwhile is missed. `changes`: later reads, `changes.list` from `pageToken`.
 */
export type DriveCursor = { v: 1; mode: 'full'; startPageToken: string; pageToken?: string } | { v: 1; mode: 'changes'; pageToken: string };

export function formatDriveCursor(c: DriveCursor): string {
  return JSON.stringify(c);
}

export function parseDriveCursor(raw: string): DriveCursor {
  let c: unknown;
  try {
    c = JSON.parse(raw);
  } catch {
    throw new CursorInvalidError('not a cursor the Google Drive source wrote', 'drive_bad_cursor');
  }
  const x = c as { v?: unknown; mode?: unknown; startPageToken?: unknown; pageToken?: unknown };
  const token = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
  if (x?.v === 1 && x.mode === 'full' && token(x.startPageToken)) return { v: 1, mode: 'full', startPageToken: x.startPageToken, ...(token(x.pageToken) ? { pageToken: x.pageToken } : {}) };
  if (x?.v === 1 && x.mode === 'changes' && token(x.pageToken)) return { v: 1, mode: 'changes', pageToken: x.pageToken };
  throw new CursorInvalidError('not a cursor the Google Drive source wrote', 'drive_bad_cursor');
}
