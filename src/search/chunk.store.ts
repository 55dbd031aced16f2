import type { Db, Params, Queryable } from '../db/db.js';
import { inList, pgArray } from '../db/sql-lists.js';
import { type Chunk, type ChunkKind, chunkText, contentHash } from './chunkers/chunk.js';
import { foldText } from './query-parser.js';

/** What one indexing pass did to chunks, for the step's sync_logs row. */
export interface IndexCounts {
  /** Chunks inserted or rewritten because their content (or place) changed: created + updated. */
  written: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Chunks removed: of items that are gone, or past an item's new last chunk. */
  deleted: number;
}

export const emptyCounts = (): IndexCounts => ({ written: 0, created: 0, updated: 0, unchanged: 0, deleted: 0 });

interface Stored {
  id: number | string;
  doc_key: string;
  ord: number;
  content_hash: string;
  source: string;
  conv: string;
  t_from: number | string;
  t_to: number | string;
  at: number | string;
  ref: string;
}

/** What a note's chunks were made from (search_note_stamps): its file's size and mtime, a hash of its inputs, how many chunks. */
export interface NoteStamp {
  size: number;
  mtimeMs: number;
  hash: string;
  chunks: number;
}

const PG_TYPES: Record<string, string> = { ord: 'integer', t_from: 'bigint', t_to: 'bigint', at: 'bigint', indexed_at: 'bigint' };

const COLS = ['kind', 'doc_key', 'ord', 'source', 'conv', 't_from', 't_to', 'at', 'title', 'heading', 'body', 'ref', 'content_hash', 'indexed_at'];
/** Columns an update rewrites (all but the key), then the row's id. */
const UPDATE_SQL = `UPDATE search_chunks SET ${COLS.filter((c) => c !== 'doc_key' && c !== 'ord').map((c) => `${c} = ?`).join(', ')} WHERE id = ?`;

const same = (s: Stored, c: Chunk, hash: string) =>
  s.content_hash === hash && s.source === c.source && s.conv === c.conv && Number(s.t_from) === c.tFrom && Number(s.t_to) === c.tTo && Number(s.at) === c.at && s.ref === c.ref;

/**
 * Write the chunks of some items (each item's complete list): a chunk whose hash and place are
 * unchanged is left alone, a changed or new one is written, and an item's chunks past its new
 * last one are deleted. `stamps` (notes) are stored in the same transaction. Idempotent:
 * writing the same items again writes nothing.
 *
 * On SQLite the stored rows are read under the write lock, so a new chunk is a plain INSERT
 * whose FTS5 row is inserted here too (cheaper than a trigger); an update or delete keeps
 * FTS5 in step through its trigger. PostgreSQL upserts (its tsvector is a generated column).
 */
export async function writeItems(db: Db, items: ReadonlyMap<string, readonly Chunk[]>, now = Date.now(), stamps?: ReadonlyMap<string, NoteStamp>): Promise<IndexCounts> {
  if (!items.size && !stamps?.size) return emptyCounts();
  const pg = db.engine === 'postgres';
  // Counted afresh inside the transaction: PostgreSQL may run it again after a conflict.
  const counts = await db.tx(async (q) => {
    const counts = emptyCounts();
    const l = inList(q, 'doc_key', [...items.keys()]);
    const stored = items.size ? await q.all<Stored>(`SELECT id, doc_key, ord, content_hash, source, conv, t_from, t_to, at, ref FROM search_chunks WHERE ${l.sql}`, l.params) : [];
    const byKey = new Map<string, Stored>(stored.map((s) => [`${s.doc_key}\u0000${s.ord}`, s]));
    const created: Params[] = [];
    const updated: { id: number; row: Params }[] = [];
    const stale: Params[] = [];
    for (const [docKey, chunks] of items) {
      for (const c of chunks) {
        const hash = contentHash(c);
        const s = byKey.get(`${docKey}\u0000${c.ord}`);
        if (s && same(s, c, hash)) {
          counts.unchanged++;
          continue;
        }
        const row: Params = [c.kind, docKey, c.ord, c.source, c.conv, c.tFrom, c.tTo, c.at, c.title, c.heading, c.body, c.ref, hash, now];
        const full = pg ? [...row, foldText(chunkText(c))] : row;
        if (s) updated.push({ id: Number(s.id), row: full });
        else created.push(full);
      }
      const max = chunks.length;
      for (const s of stored) if (s.doc_key === docKey && s.ord >= max) stale.push([docKey, s.ord]);
    }
    counts.created = created.length;
    counts.updated = updated.length;
    if (pg) await upsertPg(q, [...created, ...updated.map((u) => u.row)]);
    else await writeSqlite(q, created, updated);
    if (stale.length) counts.deleted += (await q.runMany('DELETE FROM search_chunks WHERE doc_key = ? AND ord = ?', stale)).changes;
    if (stamps?.size) {
      await q.runMany(
        'INSERT INTO search_note_stamps (doc_key, size, mtime_ms, hash, chunks) VALUES (?, ?, ?, ?, ?) ON CONFLICT (doc_key) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, hash = excluded.hash, chunks = excluded.chunks',
        [...stamps].map(([k, st]) => [k, st.size, st.mtimeMs, st.hash, st.chunks]),
      );
    }
    return counts;
  });
  counts.written = counts.created + counts.updated;
  return counts;
}

async function writeSqlite(q: Queryable, created: readonly Params[], updated: readonly { id: number; row: Params }[]): Promise<void> {
  if (updated.length) await q.runMany(UPDATE_SQL, updated.map((u) => [...u.row.filter((_, j) => COLS[j] !== 'doc_key' && COLS[j] !== 'ord'), u.id]));
  if (!created.length) return;
  // The write lock is held (BEGIN IMMEDIATE): ids after the largest are free, and no other
  // writer can add a (doc_key, ord) read as missing above.
  const top = Number((await q.get<{ n: number | null }>('SELECT max(id) AS n FROM search_chunks'))?.n ?? 0);
  const title = COLS.indexOf('title');
  await q.runMany(`INSERT INTO search_chunks (id, ${COLS.join(', ')}) VALUES (?, ${COLS.map(() => '?').join(', ')})`, created.map((r, i) => [top + 1 + i, ...r]));
  await q.runMany('INSERT INTO search_fts (rowid, title, heading, body) VALUES (?, ?, ?, ?)', created.map((r, i) => [top + 1 + i, r[title]!, r[title + 1]!, r[title + 2]!]));
}

async function upsertPg(q: Queryable, rows: readonly Params[]): Promise<void> {
  if (!rows.length) return;
  const cols = [...COLS, 'folded'];
  const set = cols.filter((c) => c !== 'doc_key' && c !== 'ord').map((c) => `${c} = excluded.${c}`).join(', ');
  // One statement per thousand rows (columns as arrays), not a round trip per row.
  const sql = `INSERT INTO search_chunks (${cols.join(', ')}) SELECT * FROM unnest(${cols.map((c) => `CAST(? AS ${PG_TYPES[c] ?? 'text'}[])`).join(', ')}) ON CONFLICT (doc_key, ord) DO UPDATE SET ${set}`;
  for (let i = 0; i < rows.length; i += 1000) {
    const part = rows.slice(i, i + 1000);
    await q.run(sql, cols.map((_, j) => pgArray(part.map((r) => r[j]))));
  }
}

/** The stored stamps of these notes, by doc key. */
export async function noteStamps(db: Db, docKeys: readonly string[]): Promise<Map<string, NoteStamp>> {
  if (!docKeys.length) return new Map();
  const l = inList(db, 'doc_key', docKeys);
  const rows = await db.all<{ doc_key: string; size: number | string; mtime_ms: number | string; hash: string; chunks: number | string }>(`SELECT doc_key, size, mtime_ms, hash, chunks FROM search_note_stamps WHERE ${l.sql}`, l.params);
  return new Map(rows.map((r) => [r.doc_key, { size: Number(r.size), mtimeMs: Number(r.mtime_ms), hash: r.hash, chunks: Number(r.chunks) }]));
}

/** Delete the chunks (and note stamps) of every item of `kind` (under `prefix`, when given) that is not in `seen`. */
export async function deleteUnseen(db: Db, kind: ChunkKind, seen: ReadonlySet<string>, prefix?: string): Promise<number> {
  const rows = prefix
    ? await db.all<{ doc_key: string }>('SELECT DISTINCT doc_key FROM search_chunks WHERE kind = ? AND substr(doc_key, 1, ?) = ?', [kind, prefix.length, prefix])
    : await db.all<{ doc_key: string }>('SELECT DISTINCT doc_key FROM search_chunks WHERE kind = ?', [kind]);
  const gone = rows.map((r) => r.doc_key).filter((k) => !seen.has(k));
  let deleted = 0;
  for (let i = 0; i < gone.length; i += 1000) {
    const l = inList(db, 'doc_key', gone.slice(i, i + 1000));
    deleted += await db.tx(async (q) => {
      if (kind === 'note') await q.run(`DELETE FROM search_note_stamps WHERE ${l.sql}`, l.params);
      return (await q.run(`DELETE FROM search_chunks WHERE ${l.sql}`, l.params)).changes;
    });
  }
  return deleted;
}

/** Every chunk's hash and text (of one kind, when given), for embedding; the VectorIndex skips hashes it holds. */
export async function* chunkTexts(db: Db, opts: { kind?: ChunkKind; batch?: number } = {}): AsyncGenerator<{ hash: string; text: string }> {
  let after = -1;
  const kind = opts.kind ? ' AND kind = ?' : '';
  for (;;) {
    const rows = await db.all<{ id: number | string; content_hash: string; title: string; heading: string; body: string }>(
      `SELECT id, content_hash, title, heading, body FROM search_chunks WHERE id > ?${kind} ORDER BY id LIMIT ?`,
      [after, ...(opts.kind ? [opts.kind] : []), opts.batch ?? 2000],
    );
    if (!rows.length) return;
    for (const r of rows) yield { hash: r.content_hash, text: chunkText(r) };
    after = Number(rows[rows.length - 1]!.id);
  }
}
