import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { unreadable } from './source-path.js';

/**
 * Resume point in a file that only grows (mbox, WhatsApp export). Besides the offset it holds
 * fingerprints of what was read — the first bytes of the file and the bytes just before the
 * offset — so a file that was replaced or truncated rather than appended to is recognised and
 * parsed from the start again (stable external ids make that re-import add nothing).
 */
export interface AppendCursor<S = unknown> {
  v: 1;
  /** Byte offset where the next unread record starts. */
  offset: number;
  /** Line number at `offset` (1-based), so skipped records keep true line numbers. */
  line: number;
  /** sha256 of bytes [0, min(offset, HEAD)). */
  head: string;
  /** sha256 of bytes [max(0, offset - TAIL), offset). */
  tail: string;
  /** Parser state needed to continue exactly (e.g. WhatsApp's detected date order). */
  state?: S;
}

const HEAD = 64 * 1024;
const TAIL = 4 * 1024;

async function hashRange(path: string, start: number, end: number): Promise<string | null> {
  const len = Math.max(0, end - start);
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw unreadable(path, err);
  }
  try {
    const buf = Buffer.alloc(len);
    let got = 0;
    while (got < len) {
      const { bytesRead } = await fh.read(buf, got, len - got, start + got);
      if (bytesRead === 0) return null; // file shorter than the range: truncated
      got += bytesRead;
    }
    return createHash('sha256').update(buf).digest('hex');
  } finally {
    await fh.close();
  }
}

/** The cursor string for "everything before `offset` has been read". */
export async function makeAppendCursor<S>(path: string, offset: number, line: number, state?: S): Promise<string> {
  const head = await hashRange(path, 0, Math.min(offset, HEAD));
  const tail = await hashRange(path, Math.max(0, offset - TAIL), offset);
  const cursor: AppendCursor<S> = { v: 1, offset, line, head: head ?? '', tail: tail ?? '' };
  if (state !== undefined) cursor.state = state;
  return JSON.stringify(cursor);
}

export type CursorCheck<S> =
  | { ok: true; cursor: AppendCursor<S> }
  | { ok: false; reason: 'malformed' | 'truncated' | 'replaced' };

/** A failed check's reason in words, for the CursorInvalidError a parser throws. */
export const CURSOR_PROBLEM: Readonly<Record<Exclude<CursorCheck<unknown>, { ok: true }>['reason'], string>> = {
  malformed: 'not a cursor this parser wrote',
  truncated: 'the file is shorter than the cursor: truncated',
  replaced: 'the bytes before the cursor changed: the file was replaced',
};

/**
 * Whether a stored cursor still describes a prefix of the file. Anything but `ok` means the
 * parser throws CursorInvalidError and collection starts from the beginning; the reason is for
 * its log line.
 */
export async function checkAppendCursor<S>(path: string, cursor: string, fileSize: number): Promise<CursorCheck<S>> {
  let c: AppendCursor<S>;
  try {
    c = JSON.parse(cursor) as AppendCursor<S>;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (
    c == null || c.v !== 1 || !Number.isSafeInteger(c.offset) || c.offset < 0 ||
    !Number.isSafeInteger(c.line) || c.line < 1 || typeof c.head !== 'string' || typeof c.tail !== 'string'
  ) {
    return { ok: false, reason: 'malformed' };
  }
  if (fileSize < c.offset) return { ok: false, reason: 'truncated' };
  const head = await hashRange(path, 0, Math.min(c.offset, HEAD));
  const tail = await hashRange(path, Math.max(0, c.offset - TAIL), c.offset);
  if (head !== c.head || tail !== c.tail) return { ok: false, reason: 'replaced' };
  return { ok: true, cursor: c };
}
