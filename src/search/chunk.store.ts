import type { Db, Params } from '../db/db.js';
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

const PG_TYPES: Record<string, string> = { ord: 'integer', t_from: 'bigint', t_to: 'bigint', at: 'bigint', indexed_at: 'bigint' };

const COLS = ['kind', 'doc_key', 'ord', 'source', 'conv', 't_from', 't_to', 'at', 'title', 'heading', 'body', 'ref', 'content_hash', 'indexed_at'];

const same = (s: Stored, c: Chunk, hash: string) =>
  s.content_hash === hash && s.source === c.source && s.conv === c.conv && Number(s.t_from) === c.tFrom && Number(s.t_to) === c.tTo && Number(s.at) === c.at && s.ref === c.ref;

/**
 * Write the chunks of some items (each item's complete list): a chunk whose hash and place are
 * unchanged is left alone, a changed or new one is upserted, and an item's chunks past its new
 * last one are deleted. Idempotent: writing the same items again writes nothing.
 */
export async function writeItems(db: Db, items: ReadonlyMap<string, readonly Chunk[]>, now = Date.now()): Promise<IndexCounts> {
  const counts = emptyCounts();
  if (!items.size) return counts;
  const keys = [...items.keys()];
  const l = inList(db, 'doc_key', keys);
  const stored = await db.all<Stored>(`SELECT doc_key, ord, content_hash, source, conv, t_from, t_to, at, ref FROM search_chunks WHERE ${l.sql}`, l.params);
  const byKey = new Map<string, Stored>(stored.map((s) => [`${s.doc_key}\u0000${s.ord}`, s]));
  const upserts: Params[] = [];
  const stale: Params[] = [];
  for (const [docKey, chunks] of items) {
    for (const c of chunks) {
      const hash = contentHash(c);
      const s = byKey.get(`${docKey}\u0000${c.ord}`);
      if (s && same(s, c, hash)) {
        counts.unchanged++;
        continue;
      }
      if (s) counts.updated++;
      else counts.created++;
      const row: Params = [c.kind, docKey, c.ord, c.source, c.conv, c.tFrom, c.tTo, c.at, c.title, c.heading, c.body, c.ref, hash, now];
      upserts.push(db.engine === 'postgres' ? [...row, foldText(chunkText(c))] : row);
    }
    const max = chunks.length;
    for (const s of stored) if (s.doc_key === docKey && s.ord >= max) stale.push([docKey, s.ord]);
  }
  const pg = db.engine === 'postgres';
  const cols = pg ? [...COLS, 'folded'] : COLS;
  const set = cols.filter((c) => c !== 'doc_key' && c !== 'ord').map((c) => `${c} = excluded.${c}`).join(', ');
  const conflict = `ON CONFLICT (doc_key, ord) DO UPDATE SET ${set}`;
  await db.tx(async (q) => {
    if (upserts.length && pg) {
      // One statement per thousand rows (columns as arrays), not a round trip per row.
      const sql = `INSERT INTO search_chunks (${cols.join(', ')}) SELECT * FROM unnest(${cols.map((c) => `CAST(? AS ${PG_TYPES[c] ?? 'text'}[])`).join(', ')}) ${conflict}`;
      for (let i = 0; i < upserts.length; i += 1000) {
        const part = upserts.slice(i, i + 1000);
        await q.run(sql, cols.map((_, j) => pgArray(part.map((r) => r[j]))));
      }
    } else if (upserts.length) await q.runMany(`INSERT INTO search_chunks (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')}) ${conflict}`, upserts);
    if (stale.length) counts.deleted += (await q.runMany('DELETE FROM search_chunks WHERE doc_key = ? AND ord = ?', stale)).changes;
  });
  counts.written = counts.created + counts.updated;
  return counts;
}

/** Delete the chunks of every item of `kind` (under `prefix`, when given) that is not in `seen`. */
export async function deleteUnseen(db: Db, kind: ChunkKind, seen: ReadonlySet<string>, prefix?: string): Promise<number> {
  const rows = prefix
    ? await db.all<{ doc_key: string }>('SELECT DISTINCT doc_key FROM search_chunks WHERE kind = ? AND substr(doc_key, 1, ?) = ?', [kind, prefix.length, prefix])
    : await db.all<{ doc_key: string }>('SELECT DISTINCT doc_key FROM search_chunks WHERE kind = ?', [kind]);
  const gone = rows.map((r) => r.doc_key).filter((k) => !seen.has(k));
  let deleted = 0;
  for (let i = 0; i < gone.length; i += 1000) {
    const l = inList(db, 'doc_key', gone.slice(i, i + 1000));
    deleted += (await db.run(`DELETE FROM search_chunks WHERE ${l.sql}`, l.params)).changes;
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
