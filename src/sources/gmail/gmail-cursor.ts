import { CursorInvalidError } from '../../errors.js';

/**
 * Where a Gmail read resumes. `full`: the first read, listing from `pageToken` (the mailbox's
 * historyId taken before listing began, so nothing that arrives meanwhile is missed). `history`:
 * later reads, from `historyId`.
 */
export type GmailCursor = { v: 1; mode: 'full'; historyId: string; pageToken?: string } | { v: 1; mode: 'history'; historyId: string };

export function formatGmailCursor(c: GmailCursor): string {
  return JSON.stringify(c);
}

export function parseGmailCursor(raw: string): GmailCursor {
  let c: unknown;
  try {
    c = JSON.parse(raw);
  } catch {
    throw new CursorInvalidError('not a cursor the Gmail source wrote', 'gmail_bad_cursor');
  }
  const x = c as Partial<GmailCursor> & { pageToken?: unknown };
  if (x?.v !== 1 || (x.mode !== 'full' && x.mode !== 'history') || typeof x.historyId !== 'string' || !/^\d+$/.test(x.historyId)) {
    throw new CursorInvalidError('not a cursor the Gmail source wrote', 'gmail_bad_cursor');
  }
  if (x.mode === 'full') return { v: 1, mode: 'full', historyId: x.historyId, ...(typeof x.pageToken === 'string' ? { pageToken: x.pageToken } : {}) };
  return { v: 1, mode: 'history', historyId: x.historyId };
}
