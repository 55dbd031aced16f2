import { copyFile, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { InvalidInputError } from '../../errors.js';
import { checkSourcePath, unreadable } from '../common/source-path.js';
import type { ChatInfo, MessageRow } from './message.mapper.js';

/**
 * Columns Kith cannot do without. attributedBody, service, associated_message_type, date_edited,
 * date_retracted and item_type are read when present (older macOS lacks some).
 */
const REQUIRED: Record<string, string[]> = {
  message: ['ROWID', 'guid', 'text', 'handle_id', 'date', 'is_from_me'],
  handle: ['ROWID', 'id'],
  chat: ['ROWID', 'guid', 'chat_identifier', 'display_name'],
  chat_message_join: ['chat_id', 'message_id'],
  chat_handle_join: ['chat_id', 'handle_id'],
};

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * A chat.db opened without ever writing next to the user's file.
 *
 * Messages.app keeps chat.db in WAL mode with the newest messages still in `chat.db-wal`. A
 * read-only connection to a WAL database must still create or map `chat.db-shm` beside it,
 * and `immutable=1` would ignore the WAL (missing the latest messages). So a WAL database is
 * copied (db + wal) into a private temp folder and read there: a snapshot that includes
 * un-checkpointed messages and leaves ~/Library/Messages untouched. The copy costs disk and
 * time proportional to the file (about a second per GB); the temp folder is removed on close.
 * A rollback-journal database (older macOS, our fixtures) is opened in place with
 * `{ readonly: true, fileMustExist: true }`, which writes nothing.
 */
export class ChatDb {
  private constructor(
    readonly path: string,
    private readonly db: Database.Database,
    private readonly messageColumns: Set<string>,
    private readonly tempDir: string | undefined,
  ) {}

  static async open(path: string): Promise<ChatDb> {
    await checkSourcePath(path, ['file']);
    const header = await readHeader(path);
    if (header.length < 100 || !header.subarray(0, 16).equals(SQLITE_MAGIC)) {
      throw new InvalidInputError(`not a SQLite database (corrupt chat.db?): ${path}`, 'not_sqlite');
    }
    const wal = header[18] === 2 || header[19] === 2;
    let tempDir: string | undefined;
    let db: Database.Database;
    try {
      if (wal) {
        tempDir = await mkdtemp(join(tmpdir(), 'kith-chatdb-'));
        const copy = join(tempDir, 'chat.db');
        await copyFile(path, copy);
        if (await exists(`${path}-wal`)) await copyFile(`${path}-wal`, `${copy}-wal`);
        db = new Database(copy, { fileMustExist: true });
      } else {
        db = new Database(path, { readonly: true, fileMustExist: true });
      }
    } catch (err) {
      if (tempDir) await rm(tempDir, { recursive: true, force: true });
      throw corrupt(path, err);
    }
    try {
      const columns = checkSchema(db, path);
      return new ChatDb(path, db, columns, tempDir);
    } catch (err) {
      db.close();
      if (tempDir) await rm(tempDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Highest message ROWID ever assigned (AUTOINCREMENT keeps it even after deletes). */
  maxRowid(): number {
    return this.guard(() => {
      const max = (this.db.prepare('SELECT MAX(ROWID) AS m FROM message').get() as { m: number | null }).m ?? 0;
      const hasSeq = this.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").get();
      const seq = hasSeq ? ((this.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'message'").get() as { seq?: number } | undefined)?.seq ?? 0) : 0;
      return Math.max(max, seq);
    });
  }

  handles(): Map<number, string> {
    return this.guard(() => {
      const rows = this.db.prepare('SELECT ROWID AS rowid, id FROM handle').all() as { rowid: number; id: string | null }[];
      return new Map(rows.filter((r) => r.id).map((r) => [r.rowid, r.id as string]));
    });
  }

  /** Chats with their members as handle identifiers; small enough to hold (one row per chat). */
  chats(handles: Map<number, string>): Map<number, ChatInfo> {
    return this.guard(() => {
      const chats = new Map<number, ChatInfo>();
      const rows = this.db.prepare('SELECT ROWID AS rowid, guid, chat_identifier AS identifier, display_name AS displayName FROM chat').all() as {
        rowid: number;
        guid: string;
        identifier: string | null;
        displayName: string | null;
      }[];
      for (const r of rows) chats.set(r.rowid, { guid: r.guid, identifier: r.identifier, displayName: r.displayName || null, members: [] });
      const joins = this.db.prepare('SELECT chat_id AS chatId, handle_id AS handleId FROM chat_handle_join ORDER BY chat_id, handle_id').all() as { chatId: number; handleId: number }[];
      for (const j of joins) {
        const id = handles.get(j.handleId);
        const chat = chats.get(j.chatId);
        if (id && chat && !chat.members.includes(id)) chat.members.push(id);
      }
      return chats;
    });
  }

  /** Messages after `afterRowid` in ROWID order, streamed from SQLite one row at a time. */
  *messagesAfter(afterRowid: number): Generator<MessageRow> {
    const opt = (col: string, as: string) => (this.messageColumns.has(col.toLowerCase()) ? `m.${col} AS ${as}` : `NULL AS ${as}`);
    const sql = `SELECT m.ROWID AS rowid, m.guid, m.text, m.handle_id AS handleId, m.date, m.is_from_me AS isFromMe,
        ${opt('attributedBody', 'attributedBody')}, ${opt('service', 'service')}, ${opt('associated_message_type', 'associatedType')},
        ${opt('date_edited', 'dateEdited')}, ${opt('date_retracted', 'dateRetracted')}, ${opt('item_type', 'itemType')},
        (SELECT MIN(chat_id) FROM chat_message_join j WHERE j.message_id = m.ROWID) AS chatId
      FROM message m WHERE m.ROWID > ? ORDER BY m.ROWID`;
    const it = this.guard(() => this.db.prepare(sql).iterate(afterRowid)) as IterableIterator<MessageRow>;
    try {
      for (;;) {
        const next = this.guard(() => it.next());
        if (next.done) return;
        yield next.value;
      }
    } finally {
      it.return?.();
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
    if (this.tempDir) await rm(this.tempDir, { recursive: true, force: true });
  }

  /** SQLite errors (a page that fails to decode mid-scan) become an error naming the file. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw corrupt(this.path, err);
    }
  }
}

function checkSchema(db: Database.Database, path: string): Set<string> {
  let messageColumns = new Set<string>();
  for (const [table, cols] of Object.entries(REQUIRED)) {
    let have: Set<string>;
    try {
      have = new Set((db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name.toLowerCase()));
    } catch (err) {
      throw corrupt(path, err);
    }
    if (have.size === 0) throw new InvalidInputError(`not an iMessage chat.db (no table ${table}): ${path}`, 'schema');
    // ROWID is implicit on rowid tables and never listed by table_info.
    const missing = cols.filter((c) => c !== 'ROWID' && !have.has(c.toLowerCase()));
    if (missing.length) throw new InvalidInputError(`not an iMessage chat.db (table ${table} lacks ${missing.join(', ')}): ${path}`, 'schema');
    if (table === 'message') messageColumns = have;
  }
  return messageColumns;
}

function corrupt(path: string, err: unknown): Error {
  if (err instanceof InvalidInputError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new InvalidInputError(`cannot read chat.db (${msg}): ${path}`, 'corrupt', { cause: err });
}

async function readHeader(path: string): Promise<Buffer> {
  try {
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(100);
      const { bytesRead } = await fh.read(buf, 0, 100, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // macOS guards ~/Library/Messages: reading it needs Full Disk Access for the app running Kith.
    if (code === 'EPERM' || code === 'EACCES') throw new InvalidInputError(`chat.db not readable (${code}; on macOS grant Full Disk Access to the terminal or service running Kith): ${path}`, code, { cause: err });
    throw unreadable(path, err);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
