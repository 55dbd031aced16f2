import type { Db, SqlValue } from '../db/db.js';
import { inList } from '../db/sql-lists.js';
import { InvalidInputError } from '../errors.js';
import { DAY_MS } from './chunkers/conversation.chunker.js';
import { fts5Match, isEmptyQuery, parseQuery, type ParsedQuery, tsQueryText } from './query-parser.js';
import { rankFts5, rankFts5Within } from './fts5-ranking.js';
import { reciprocalRankFusion } from './rank-fusion.js';
import { VECTOR_OFF, type VectorIndex } from './vector-index.port.js';

export type SearchMode = 'bm25' | 'vector' | 'hybrid';
export const SEARCH_MODES: readonly SearchMode[] = ['bm25', 'vector', 'hybrid'];

export interface SearchOptions {
  query?: string;
  /** A resolved person id (see resolvePerson): only chunks concerning them. */
  personId?: string;
  sources?: readonly string[];
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
  limit?: number;
  mode?: SearchMode;
}

export interface SearchHit {
  people: string[];
  personIds: string[];
  source: string;
  at: string;
  title: string;
  snippet: string;
  ref: string;
  score: number;
}

export interface SearchResult {
  mode: SearchMode;
  /** Said when the mode asked for could not be used (no embedding endpoint). */
  notice?: string;
  hits: SearchHit[];
}

interface Candidate {
  id: number;
  source: string;
  at: number;
  title: string;
  ref: string;
  content_hash: string;
  body: string;
  score: number;
  snippet?: string | null;
}

/** Chunk-to-interaction join: the interactions of a chunk are those of its source and conversation within its window. */
const CHUNK_INTERACTIONS = 'i.conversation_key = c.conv AND i.source_type = c.source AND i.occurred_at >= c.t_from AND i.occurred_at <= c.t_to';
/** Highlight marks around matched words in snippets. */
export const MARK = { open: '**', close: '**' } as const;

/**
 * Search the index. A query is ranked by BM25 (SQLite FTS5) or ts_rank_cd (PostgreSQL), any of
 * its words matching; `--person` alone lists what concerns that person, newest first. With a
 * VectorIndex, `vector` ranks by nearest embeddings and `hybrid` fuses both rankings by
 * reciprocal rank; without one both fall back to BM25 and say so. Each hit names its people as
 * they are now, read from the interactions at query time.
 */
export async function search(db: Db, opts: SearchOptions, vectors?: VectorIndex): Promise<SearchResult> {
  const limit = opts.limit ?? 10;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InvalidInputError(`limit must be an integer from 1 to 1000, got ${opts.limit}`);
  const parsed = parseQuery(opts.query ?? '');
  let mode = opts.mode ?? 'bm25';
  let notice: string | undefined;
  if (mode !== 'bm25' && !vectors) {
    notice = `${VECTOR_OFF}; ${mode} search ran as BM25`;
    mode = 'bm25';
  }
  let ranked: Candidate[];
  if (isEmptyQuery(parsed)) {
    // A person alone: what concerns them, newest first, whatever the mode.
    if (!opts.personId) throw new InvalidInputError('search: give a query (words to look for), or a person to list what concerns them');
    ranked = await personTimeline(db, opts, limit);
  } else if (mode === 'bm25') ranked = await bm25(db, parsed, opts, limit);
  else {
    const pool = Math.max(50, limit * 3);
    // The pool's snippets are not made: only the hits kept after fusion get theirs.
    const [lexical, semantic] = await Promise.all([mode === 'hybrid' ? bm25(db, parsed, opts, pool, false) : Promise.resolve([]), nearestChunks(db, vectors!, opts, pool)]);
    const byId = new Map<number, Candidate>([...semantic, ...lexical].map((c) => [c.id, c]));
    const fused = mode === 'hybrid' ? reciprocalRankFusion([lexical.map((c) => c.id), semantic.map((c) => c.id)]) : semantic.map((c) => ({ id: c.id, score: c.score }));
    ranked = fused.slice(0, limit).map((f) => ({ ...byId.get(f.id)!, score: f.score }));
    const matched = new Set(lexical.map((c) => c.id));
    const snippets = await snippetsOf(db, parsed, ranked.filter((c) => matched.has(c.id)));
    ranked = ranked.map((c) => (snippets.has(c.id) ? { ...c, snippet: snippets.get(c.id) } : c));
  }
  return notice ? { mode, notice, hits: await withPeople(db, ranked) } : { mode, hits: await withPeople(db, ranked) };
}

/**
 * The SQL (and parameters) of a person's chunk ids: their interactions (`interactions_person`),
 * joined to chunks by conversation and window. A window starts at 0 (a note), at its item's
 * time (a mail, an event) or at its UTC day (a conversation's day), so each interaction probes
 * `search_chunks_conv` for those three starts instead of scanning a long conversation's days.
 */
function personChunks(personId: string): { sql: string; params: SqlValue[] } {
  const starts = `c.t_from IN (0, i.occurred_at, i.occurred_at - (i.occurred_at % ${DAY_MS}))`;
  return { sql: `SELECT DISTINCT c.id FROM interactions i JOIN search_chunks c ON c.conv = i.conversation_key AND c.source = i.source_type AND ${starts} AND c.t_to >= i.occurred_at WHERE i.person_id = ?`, params: [personId] };
}


function filters(opts: SearchOptions, db: Db): { sql: string; params: SqlValue[] } {
  const parts: string[] = [];
  const params: SqlValue[] = [];
  if (opts.sources?.length) {
    const l = inList(db, 'c.source', opts.sources);
    parts.push(l.sql);
    params.push(...l.params);
  }
  if (opts.since !== undefined) {
    parts.push('c.at >= ?');
    params.push(opts.since);
  }
  if (opts.until !== undefined) {
    parts.push('c.at < ?');
    params.push(opts.until);
  }
  return { sql: parts.map((p) => ` AND ${p}`).join(''), params };
}

const HEADLINE = `'StartSel=${MARK.open}, StopSel=${MARK.close}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "'`;
const SNIPPET = `snippet(search_fts, 2, '${MARK.open}', '${MARK.close}', '…', 20)`;

/** Highlighted snippets of these chunks (which match the query), by chunk id. */
async function snippetsOf(db: Db, q: ParsedQuery, hits: readonly Candidate[]): Promise<Map<number, string | null>> {
  if (!hits.length) return new Map();
  const ids = JSON.stringify(hits.map((h) => h.id));
  const rows =
    db.engine === 'sqlite'
      ? await db.all<{ id: number; snippet: string | null }>(`SELECT rowid AS id, ${SNIPPET} AS snippet FROM search_fts WHERE search_fts MATCH ? AND rowid IN (SELECT value FROM json_each(?))`, [fts5Match(q), ids])
      : await db.all<{ id: number; snippet: string | null }>(
          `SELECT c.id, ts_headline('english', c.body, to_tsquery('english', ?), ${HEADLINE}) AS snippet FROM search_chunks c WHERE c.id IN (SELECT CAST(value AS bigint) FROM json_array_elements_text(CAST(? AS json)))`,
          [tsQueryText(q), ids],
        );
  return new Map(rows.map((r) => [Number(r.id), r.snippet]));
}

async function bm25(db: Db, q: ParsedQuery, opts: SearchOptions, limit: number, snippets = true): Promise<Candidate[]> {
  const f = filters(opts, db);
  const person = opts.personId ? personChunks(opts.personId) : undefined;
  const cols = 'c.id, c.source, c.at, c.title, c.ref, c.content_hash, c.body';
  if (db.engine === 'sqlite') {
    // Rank first (scores only), then fetch the rows and snippets of the few kept: snippet() on
    // every match of a common word would cost more than the ranking itself.
    const top = person ? await rankFts5Within(db, q, person, f, limit) : await rankFts5(db, q, f, limit);
    const match = fts5Match(q);
    if (!top.length) return [];
    const ids = JSON.stringify(top.map((t) => Number(t.id)));
    const rows = snippets
      ? await db.all<Candidate>(
          `SELECT ${cols}, ${SNIPPET} AS snippet
             FROM search_fts JOIN search_chunks c ON c.id = search_fts.rowid
            WHERE search_fts MATCH ? AND search_fts.rowid IN (SELECT value FROM json_each(?))`,
          [match, ids],
        )
      : await db.all<Candidate>(`SELECT ${cols} FROM search_chunks c WHERE c.id IN (SELECT value FROM json_each(?))`, [ids]);
    const byId = new Map(rows.map((r) => [Number(r.id), r]));
    return top.flatMap((t) => {
      const r = byId.get(Number(t.id));
      return r ? [num({ ...r, score: t.score })] : [];
    });
  }
  const where = person ? ` AND c.id IN (${person.sql})` : '';
  const rows = await db.all<Candidate>(
    `SELECT top.*, ${snippets ? `ts_headline('english', top.body, to_tsquery('english', ?), ${HEADLINE})` : 'CAST(? AS text)'} AS snippet
       FROM (SELECT ${cols}, ts_rank_cd(c.tsv, query) AS score
               FROM search_chunks c, to_tsquery('english', ?) query
              WHERE c.tsv @@ query${where}${f.sql}
              ORDER BY score DESC, c.at DESC, c.id LIMIT ?) top
      ORDER BY top.score DESC, top.at DESC, top.id`,
    [snippets ? tsQueryText(q) : null, tsQueryText(q), ...(person?.params ?? []), ...f.params, limit],
  );
  return rows.map(num);
}

async function nearestChunks(db: Db, vectors: VectorIndex, opts: SearchOptions, k: number): Promise<Candidate[]> {
  const f = filters(opts, db);
  const person = opts.personId ? personChunks(opts.personId) : undefined;
  const within = person ? (await db.all<{ content_hash: string }>(`SELECT DISTINCT c.content_hash FROM search_chunks c WHERE c.id IN (${person.sql})${f.sql}`, [...person.params, ...f.params])).map((r) => r.content_hash) : undefined;
  if (within && !within.length) return [];
  const near = await vectors.nearest(opts.query ?? '', f.params.length && !within ? k * 10 : k, within);
  if (!near.length) return [];
  const l = inList(db, 'c.content_hash', near.map((n) => n.hash));
  const rows = (await db.all<Candidate>(`SELECT c.id, c.source, c.at, c.title, c.ref, c.content_hash, c.body, 0 AS score FROM search_chunks c WHERE ${l.sql}${f.sql}`, [...l.params, ...f.params])).map(num);
  const rank = new Map(near.map((n, i) => [n.hash, { i, distance: n.distance }]));
  return rows
    .filter((r) => rank.has(r.content_hash))
    .sort((a, b) => rank.get(a.content_hash)!.i - rank.get(b.content_hash)!.i || b.at - a.at)
    .slice(0, k)
    .map((r) => ({ ...r, score: 1 - rank.get(r.content_hash)!.distance }));
}

async function personTimeline(db: Db, opts: SearchOptions, limit: number): Promise<Candidate[]> {
  const f = filters(opts, db);
  const p = personChunks(opts.personId!);
  const rows = await db.all<Candidate>(
    `SELECT c.id, c.source, c.at, c.title, c.ref, c.content_hash, c.body, 0 AS score FROM search_chunks c WHERE c.id IN (${p.sql})${f.sql} ORDER BY c.at DESC, c.id DESC LIMIT ?`,
    [...p.params, ...f.params, limit],
  );
  return rows.map(num);
}

const num = (r: Candidate): Candidate => ({ ...r, id: Number(r.id), at: Number(r.at), score: Number(r.score) });

/** A chunk's opening words, for hits with no highlighted snippet. */
const opening = (body: string) => {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 199)}…` : flat;
};

/** Name each hit's people as they are now (merged people as the person kept). */
async function withPeople(db: Db, hits: Candidate[]): Promise<SearchHit[]> {
  if (!hits.length) return [];
  const l = inList(db, 'c.id', hits.map((h) => h.id), 'bigint');
  const rows = await db.all<{ chunk: number | string; id: string; name: string }>(
    `SELECT DISTINCT c.id AS chunk, COALESCE(m.id, p.id) AS id, COALESCE(m.canonical_name, p.canonical_name) AS name
       FROM search_chunks c JOIN interactions i ON ${CHUNK_INTERACTIONS}
       JOIN people p ON p.id = i.person_id LEFT JOIN people m ON m.id = p.merged_into
      WHERE ${l.sql}`,
    l.params,
  );
  const people = new Map<number, { id: string; name: string }[]>();
  for (const r of rows) {
    const list = people.get(Number(r.chunk)) ?? [];
    if (!list.some((x) => x.id === r.id)) list.push({ id: r.id, name: r.name });
    people.set(Number(r.chunk), list);
  }
  return hits.map((h) => {
    const ps = (people.get(h.id) ?? []).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
    return {
      people: ps.map((p) => p.name || p.id),
      personIds: ps.map((p) => p.id),
      source: h.source,
      at: new Date(h.at).toISOString(),
      title: h.title,
      snippet: h.snippet?.trim() ? h.snippet.replace(/\s+/g, ' ').trim() : opening(h.body),
      ref: h.ref,
      score: Math.round(h.score * 1e6) / 1e6,
    };
  });
}
