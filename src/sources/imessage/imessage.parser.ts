import { CursorInvalidError } from '../../errors.js';
import type { ParseInput, SourceEvent, SourceParser } from '../source-event.js';
import { ChatDb } from './chat-db.js';
import { mapMessage } from './message.mapper.js';

/** How often a CursorMark is yielded mid-scan, so an interrupted import resumes near where it stopped. */
const CURSOR_EVERY = 5000;

/**
 * macOS Messages (`~/Library/Messages/chat.db`), read-only. Incremental: the cursor is the last
 * message ROWID seen; ROWIDs only grow (AUTOINCREMENT), so a cursor above the highest ROWID ever
 * assigned means a different or restored database → CursorInvalidError (the caller re-imports
 * in full; externalIds are message guids, so nothing is counted twice).
 */
export const parser: SourceParser = {
  type: 'imessage',
  parse,
};

async function* parse({ path, cursor }: ParseInput): AsyncGenerator<SourceEvent> {
  const after = parseCursor(cursor, path);
  const db = await ChatDb.open(path);
  try {
    const max = db.maxRowid();
    if (after > max) throw new CursorInvalidError(`imessage cursor ${after} is beyond the last message (${max}) of ${path}: database replaced?`);
    const handles = db.handles();
    const ctx = { file: path, handles, chats: db.chats(handles) };
    let last = after;
    let n = 0;
    for (const row of db.messagesAfter(after)) {
      last = row.rowid;
      const event = mapMessage(row, ctx);
      if (event) yield event;
      if (++n % CURSOR_EVERY === 0) yield { kind: 'cursor', file: path, cursor: String(last) };
    }
    yield { kind: 'cursor', file: path, cursor: String(last) };
  } finally {
    await db.close();
  }
}

function parseCursor(cursor: string | undefined, path: string): number {
  if (cursor === undefined || cursor === '') return 0;
  if (!/^\d+$/.test(cursor)) throw new CursorInvalidError(`imessage cursor '${cursor}' is not a message ROWID (${path})`);
  return Number(cursor);
}
