import { CursorInvalidError } from '../../errors.js';

/**
 * Where a People read resumes. `full`: the first read (or the one after an expired sync token),
 * listing every connection from `pageToken`. `sync`: later reads, the changes since `syncToken`,
 * from `pageToken` when a run stopped inside them.
 */
export type PeopleCursor = { v: 1; mode: 'full'; pageToken?: string } | { v: 1; mode: 'sync'; syncToken: string; pageToken?: string };

export function formatPeopleCursor(c: PeopleCursor): string {
  return JSON.stringify(c);
}

export function parsePeopleCursor(raw: string): PeopleCursor {
  let c: unknown;
  try {
    c = JSON.parse(raw);
  } catch {
    throw new CursorInvalidError('not a cursor the google-contacts source wrote', 'people_bad_cursor');
  }
  const x = c as { v?: unknown; mode?: unknown; syncToken?: unknown; pageToken?: unknown } | null;
  const page = typeof x?.pageToken === 'string' && x.pageToken ? { pageToken: x.pageToken } : {};
  if (x?.v === 1 && x.mode === 'full') return { v: 1, mode: 'full', ...page };
  if (x?.v === 1 && x.mode === 'sync' && typeof x.syncToken === 'string' && x.syncToken) return { v: 1, mode: 'sync', syncToken: x.syncToken, ...page };
  throw new CursorInvalidError('not a cursor the google-contacts source wrote', 'people_bad_cursor');
}
