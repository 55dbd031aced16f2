import type { Db, SqlValue } from '../db/db.js';
import { fts5Match, type ParsedQuery } from './query-parser.js';

/** Column weights of bm25() over title, heading and body. */
export const BM25_WEIGHTS = '10.0, 4.0, 1.0';

/**
 * A word in more than half the chunks weighs nothing in bm25() (FTS5 floors a negative IDF at
 * 1e-6), yet bm25() scores every row it matches: a query holding one is slow for nothing. Above
 * this estimated share (a margin over half for the sampling error) such a word is left out of
 * the match when the query has other words.
 */
export const WEIGHTLESS_SHARE = 0.55;
/** Below this many chunks words are not sampled: every query is quick as it is. */
export const SAMPLE_MIN_CHUNKS = 20_000;
/** Matches read from each end of a word's match list (in rowid order) to estimate its share. */
const SAMPLE = 500;
/** A word's estimated share is kept this long (per database), and for this many words. */
const SHARE_TTL_MS = 10 * 60_000;
const SHARE_CACHE = 10_000;

export interface Ranked {
  id: number;
  score: number;
}

export interface Scope {
  /** ` AND …` conditions on `c` (search_chunks). */
  sql: string;
  params: SqlValue[];
}

const score = `-bm25(search_fts, ${BM25_WEIGHTS})`;
const order = `bm25(search_fts, ${BM25_WEIGHTS}), search_fts.rowid`;

/**
 * The best `limit` chunks for a query by FTS5's bm25(), any word matching; ties by rowid. On a
 * large index the words found in most chunks are left out of the match when other words remain:
 * the ranking is the same, less the chunks matching only those words (they would rank last, at
 * a score of zero); when fewer than `limit` chunks are left, the whole query is ranked.
 */
export async function rankFts5(db: Db, q: ParsedQuery, filters: Scope, limit: number, minChunks = SAMPLE_MIN_CHUNKS): Promise<Ranked[]> {
  const weighted = await withoutWeightless(db, q, minChunks);
  if (weighted) {
    const ranked = await rankMatch(db, fts5Match(weighted), filters, limit);
    if (ranked.length >= limit) return ranked;
  }
  return rankMatch(db, fts5Match(q), filters, limit);
}

async function rankMatch(db: Db, match: string, filters: Scope, limit: number): Promise<Ranked[]> {
  const join = filters.sql ? ' JOIN search_chunks c ON c.id = search_fts.rowid' : '';
  return db.all<Ranked>(`SELECT search_fts.rowid AS id, ${score} AS score FROM search_fts${join} WHERE search_fts MATCH ?${filters.sql} ORDER BY ${order} LIMIT ?`, [
    match,
    ...filters.params,
    limit,
  ]);
}

/**
 * The same ranking within a set of chunks given by SQL (a person's chunks): the match is read
 * once and the set tests each matching row, instead of one match per chunk of the set (which
 * would count every word's matches again for each).
 */
export async function rankFts5Within(db: Db, q: ParsedQuery, within: Scope, filters: Scope, limit: number): Promise<Ranked[]> {
  const join = filters.sql ? ' CROSS JOIN search_chunks c ON c.id = search_fts.rowid' : '';
  return db.all<Ranked>(
    `SELECT search_fts.rowid AS id, ${score} AS score FROM search_fts${join} WHERE search_fts MATCH ? AND +search_fts.rowid IN (${within.sql})${filters.sql} ORDER BY ${order} LIMIT ?`,
    [fts5Match(q), ...within.params, ...filters.params, limit],
  );
}

const shares = new WeakMap<Db, Map<string, { share: number; at: number }>>();

/**
 * The query without its words found in more than WEIGHTLESS_SHARE of the chunks. A word's share
 * is estimated from its first and last SAMPLE matches by rowid (how many rowids they span), read
 * from the ends of its match list without walking the rest, and remembered a while. Undefined
 * when nothing is left out: a small index, no such word, or only such words.
 */
export async function withoutWeightless(db: Db, q: ParsedQuery, minChunks = SAMPLE_MIN_CHUNKS): Promise<ParsedQuery | undefined> {
  if (q.terms.length + q.phrases.length < 2 || !q.terms.length) return undefined;
  const span = await db.get<{ lo: number | null; hi: number | null }>('SELECT (SELECT min(id) FROM search_chunks) AS lo, (SELECT max(id) FROM search_chunks) AS hi');
  const lo = Number(span?.lo ?? 0);
  const hi = Number(span?.hi ?? 0);
  if (hi - lo + 1 < minChunks) return undefined;
  const known = shares.get(db) ?? new Map<string, { share: number; at: number }>();
  shares.set(db, known);
  const now = Date.now();
  const kept: ParsedQuery['terms'] = [];
  for (const t of q.terms) {
    const e = fts5Match({ terms: [t], phrases: [] });
    let entry = known.get(e);
    if (!entry || now - entry.at > SHARE_TTL_MS) {
      entry = { share: await shareOf(db, e, lo, hi), at: now };
      known.delete(e);
      known.set(e, entry);
      if (known.size > SHARE_CACHE) known.delete(known.keys().next().value!);
    }
    if (entry.share <= WEIGHTLESS_SHARE) kept.push(t);
  }
  if (kept.length === q.terms.length || (!kept.length && !q.phrases.length)) return undefined;
  return { terms: kept, phrases: q.phrases };
}

/** A word's estimated share of the chunks with rowids lo..hi (rowids of deleted chunks count as chunks: an underestimate). */
async function shareOf(db: Db, match: string, lo: number, hi: number): Promise<number> {
  const sample = (dir: 'ASC' | 'DESC') =>
    db.get<{ n: number; edge: number | null }>(
      `SELECT count(*) AS n, ${dir === 'ASC' ? 'max' : 'min'}(rowid) AS edge FROM (SELECT rowid FROM search_fts WHERE search_fts MATCH ? ORDER BY rowid ${dir} LIMIT ?)`,
      [match, SAMPLE],
    );
  const first = await sample('ASC');
  const n1 = Number(first?.n ?? 0);
  if (n1 < SAMPLE) return n1 / (hi - lo + 1);
  const last = await sample('DESC');
  const fromStart = Number(first!.edge) - lo + 1;
  const toEnd = hi - Number(last?.edge ?? hi) + 1;
  return (n1 + Number(last?.n ?? 0)) / (fromStart + toEnd);
}
