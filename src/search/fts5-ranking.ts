import type { Db, SqlValue } from '../db/db.js';
import { fts5Match, type ParsedQuery } from './query-parser.js';

/** Column weights of bm25() over title, heading and body. */
export const BM25_WEIGHTS = '10.0, 4.0, 1.0';

export interface Ranked {
  id: number;
  score: number;
}

interface Scope {
  /** ` AND …` conditions on `c` (search_chunks). */
  sql: string;
  params: SqlValue[];
}

const score = `-bm25(search_fts, ${BM25_WEIGHTS})`;
const order = `bm25(search_fts, ${BM25_WEIGHTS}), search_fts.rowid`;

/** The best `limit` chunks for a query by FTS5's bm25(), any word matching; ties by rowid. */
export async function rankFts5(db: Db, q: ParsedQuery, filters: Scope, limit: number): Promise<Ranked[]> {
  const join = filters.sql ? ' JOIN search_chunks c ON c.id = search_fts.rowid' : '';
  return db.all<Ranked>(`SELECT search_fts.rowid AS id, ${score} AS score FROM search_fts${join} WHERE search_fts MATCH ?${filters.sql} ORDER BY ${order} LIMIT ?`, [
    fts5Match(q),
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
