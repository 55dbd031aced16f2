/**
 * `npm run bench -- search-floor [--chunks 1000000] [--queries 1000] [--batch 10000] [--vectors 100000]`
 *
 * What SQLite's FTS5 and sqlite-vec themselves cost at the search index's size, with plain
 * better-sqlite3 and no Kith code: an FTS5 table with the index's columns and tokenizer (title,
 * heading, body; porter over unicode61 without diacritics), filled with the search benchmark's
 * made-up text in its proportions (notes' sections, mail, conversation days), then the search
 * benchmark's queries as Kith sends them (each word quoted, joined by OR). It times:
 *
 * - `insert_chunks_per_s`: INSERTs into the FTS5 table alone, `--batch` rows a transaction (the
 *   most any indexing through FTS5 can reach);
 * - `insert_with_table_chunks_per_s`: the same text written as Kith writes it, a chunk row (the
 *   same columns, unique key and indexes as `search_chunks`) and its FTS5 row, 400 a transaction,
 *   into a fresh database;
 * - `match_count_ms`: `count(*)` of each query's matches (walking the match lists, no scoring);
 * - `bm25_top10_ms`: the ten best by `bm25()` with Kith's column weights (the exact ranking's
 *   floor: FTS5 scores every matching row before it can keep ten);
 * - `vec_knn_ms`: the 50 nearest of `--vectors` random 384-dimension vectors in a sqlite-vec
 *   `vec0` table by cosine distance, 100 queries (sqlite-vec compares every vector).
 *
 * Progress on stderr; the last stdout line is one JSON object.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { fts5Match, parseQuery } from '../src/search/query-parser.js';
import { percentiles, positiveInt as int } from './support/measure.js';
import { benchQueries, rng, words } from './support/synthetic-text.js';

const log = (msg: string) => process.stderr.write(`[search-floor] ${msg}\n`);

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      chunks: { type: 'string', default: '1000000' },
      queries: { type: 'string', default: '1000' },
      batch: { type: 'string', default: '10000' },
      vectors: { type: 'string', default: '100000' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.error('usage: npm run bench -- search-floor [--chunks N] [--queries N] [--batch N] [--vectors N]');
    return;
  }
  const nChunks = int(values.chunks, 'chunks');
  const nQueries = int(values.queries, 'queries');
  const batch = int(values.batch, 'batch');
  const nVectors = int(values.vectors, 'vectors');
  const dir = mkdtempSync(join(tmpdir(), 'kith-bench-search-floor-'));
  const db = new Database(join(dir, 'floor.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('cache_size = -65536');
    db.exec(`CREATE VIRTUAL TABLE fts USING fts5 (title, heading, body, tokenize = 'porter unicode61 remove_diacritics 2')`);
    const texts = chunkTexts(nChunks);
    const ins = db.prepare('INSERT INTO fts (rowid, title, heading, body) VALUES (?, ?, ?, ?)');
    const write = db.transaction((rows: [number, string, string, string][]) => {
      for (const row of rows) ins.run(row);
    });
    let insertMs = 0;
    let done = 0;
    let rows: [number, string, string, string][] = [];
    const flush = () => {
      const t = performance.now();
      write(rows);
      insertMs += performance.now() - t;
      done += rows.length;
      rows = [];
      if (done % 200_000 < batch) log(`  ${done} chunks`);
    };
    for (const c of texts) {
      rows.push(c);
      if (rows.length >= batch) flush();
    }
    if (rows.length) flush();
    const insertPerS = Math.round(nChunks / (insertMs / 1000));
    log(`insert: ${insertPerS} chunks/s`);

    const matches = benchQueries(nQueries).map((q) => fts5Match(parseQuery(q)));
    const count = db.prepare('SELECT count(*) AS n FROM fts WHERE fts MATCH ?');
    const top = db.prepare('SELECT rowid, bm25(fts, 10.0, 4.0, 1.0) AS s FROM fts WHERE fts MATCH ? ORDER BY bm25(fts, 10.0, 4.0, 1.0), rowid LIMIT 10');
    const counted = timeAll(matches, (m) => count.get(m));
    log(`match count p95 ${counted.p95.toFixed(1)} ms`);
    const ranked = timeAll(matches, (m) => top.all(m));
    log(`bm25 top 10 p95 ${ranked.p95.toFixed(1)} ms`);
    const withTable = insertWithTable(join(dir, 'table.db'), nChunks);
    log(`insert with the chunk table: ${withTable} chunks/s`);
    const knn = vectorKnn(join(dir, 'vec.db'), nVectors);
    log(`sqlite-vec knn p95 ${knn.p95.toFixed(1)} ms`);
    console.log(
      JSON.stringify({
        chunks: nChunks,
        insert_chunks_per_s: insertPerS,
        insert_with_table_chunks_per_s: withTable,
        match_count_ms: rounded(counted),
        bm25_top10_ms: rounded(ranked),
        vectors: nVectors,
        vec_knn_ms: rounded(knn),
      }),
    );
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Chunk rows with search_chunks' columns, key and indexes, each with its FTS5 row, 400 a transaction: chunks/s. */
function insertWithTable(path: string, n: number): number {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('cache_size = -65536');
    db.exec(`
      CREATE TABLE c (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, doc_key TEXT NOT NULL, ord INTEGER NOT NULL, source TEXT NOT NULL, conv TEXT NOT NULL,
        t_from BIGINT NOT NULL, t_to BIGINT NOT NULL, at BIGINT NOT NULL, title TEXT NOT NULL, heading TEXT NOT NULL, body TEXT NOT NULL,
        ref TEXT NOT NULL, content_hash TEXT NOT NULL, indexed_at BIGINT NOT NULL, UNIQUE (doc_key, ord));
      CREATE INDEX c_conv ON c (conv, source, t_from);
      CREATE INDEX c_kind ON c (kind, doc_key);
      CREATE INDEX c_hash ON c (content_hash);
      CREATE INDEX c_at ON c (at);
      CREATE VIRTUAL TABLE f USING fts5 (title, heading, body, content = 'c', content_rowid = 'id', tokenize = 'porter unicode61 remove_diacritics 2');`);
    const row = db.prepare('INSERT INTO c VALUES (?, ?, ?, 0, ?, ?, 0, 0, ?, ?, ?, ?, ?, ?, ?)');
    const fts = db.prepare('INSERT INTO f (rowid, title, heading, body) VALUES (?, ?, ?, ?)');
    const write = db.transaction((rows: [number, string, string, string][]) => {
      for (const [id, title, heading, body] of rows) {
        const kind = ['note', 'mail', 'message'][id % 3]!;
        row.run(id, kind, `${kind}:bench:${id}`, kind === 'note' ? 'vault' : 'gmail', `conv-${(id * 7919) % 50_000}`, 1.7e12 + id * 1000, title, heading, body, `ref-${id}`, createHash('sha256').update(`${title}\n${heading}\n${body}`).digest('hex'), Date.now());
        fts.run(id, title, heading, body);
      }
    });
    const all = [...chunkTexts(n)];
    const t = performance.now();
    for (let i = 0; i < all.length; i += 400) write(all.slice(i, i + 400));
    return Math.round(n / ((performance.now() - t) / 1000));
  } finally {
    db.close();
  }
}

/** The 50 nearest of n random unit vectors (384 dimensions) by cosine distance in a vec0 table, 100 queries. */
function vectorKnn(path: string, n: number) {
  const db = new Database(path);
  try {
    sqliteVec.load(db);
    db.exec('CREATE VIRTUAL TABLE v USING vec0 (embedding float[384] distance_metric=cosine)');
    const r = rng(5);
    const vector = () => {
      const v = new Float32Array(384).map(() => r() - 0.5);
      const norm = Math.hypot(...v);
      return Buffer.from(v.map((x) => x / norm).buffer);
    };
    const ins = db.prepare('INSERT INTO v (rowid, embedding) VALUES (?, ?)');
    db.transaction(() => {
      for (let i = 1; i <= n; i++) ins.run(BigInt(i), vector());
    })();
    const knn = db.prepare('SELECT rowid, distance FROM v WHERE embedding MATCH ? AND k = 50 ORDER BY distance');
    const queries = Array.from({ length: 100 }, vector);
    const ms: number[] = [];
    for (const q of queries) {
      const t = performance.now();
      knn.all(q);
      ms.push(performance.now() - t);
    }
    return percentiles(ms);
  } finally {
    db.close();
  }
}

/** The search benchmark's chunks, in its proportions: 40 % notes' sections, 30 % mail, 30 % conversation days. */
function* chunkTexts(n: number): Generator<[number, string, string, string]> {
  const r = rng(11);
  for (let id = 1; id <= n; id++) {
    const kind = id % 10;
    if (kind < 4) yield [id, words(r, 3), words(r, 2), words(r, 80)];
    else if (kind < 7) yield [id, words(r, 5), '', words(r, 30)];
    else yield [id, `chat ${id % 1000}`, '', Array.from({ length: 3 }, () => words(r, 12)).join('\n')];
  }
}

function timeAll(items: readonly string[], fn: (m: string) => unknown) {
  const ms: number[] = [];
  for (const m of items) {
    const t = performance.now();
    fn(m);
    ms.push(performance.now() - t);
  }
  return percentiles(ms);
}

const rounded = (t: { p50: number; p95: number; p99: number }) => ({ p50: Math.round(t.p50 * 100) / 100, p95: Math.round(t.p95 * 100) / 100, p99: Math.round(t.p99 * 100) / 100 });
