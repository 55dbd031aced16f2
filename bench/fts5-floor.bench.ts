/**
 * `npm run bench -- fts5-floor [--chunks 1000000] [--queries 1000] [--batch 10000]`
 *
 * What SQLite's FTS5 itself costs at the search index's size, with plain better-sqlite3 and no
 * Kith code: one FTS5 table with the index's columns and tokenizer (title, heading, body; porter
 * over unicode61 without diacritics), filled with the search benchmark's made-up text in its
 * proportions (notes' sections, mail, conversation days), then the search benchmark's queries
 * as Kith sends them (each word quoted, joined by OR). It times:
 *
 * - `insert_chunks_per_s`: INSERTs into the FTS5 table alone, `--batch` rows a transaction (the
 *   most any indexing through FTS5 can reach; Kith also writes the chunk rows and their indexes);
 * - `match_count_ms`: `count(*)` of each query's matches (walking the match lists, no scoring);
 * - `bm25_top10_ms`: the ten best by `bm25()` with Kith's column weights (the exact ranking's
 *   floor: FTS5 scores every matching row before it can keep ten).
 *
 * Progress on stderr; the last stdout line is one JSON object.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { fts5Match, parseQuery } from '../src/search/query-parser.js';
import { benchQueries, rng, words } from './support/synthetic-text.js';

const log = (msg: string) => process.stderr.write(`[fts5-floor] ${msg}\n`);

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      chunks: { type: 'string', default: '1000000' },
      queries: { type: 'string', default: '1000' },
      batch: { type: 'string', default: '10000' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.error('usage: npm run bench -- fts5-floor [--chunks N] [--queries N] [--batch N]');
    return;
  }
  const nChunks = int(values.chunks, 'chunks');
  const nQueries = int(values.queries, 'queries');
  const batch = int(values.batch, 'batch');
  const dir = mkdtempSync(join(tmpdir(), 'kith-bench-fts5-'));
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
    console.log(
      JSON.stringify({
        chunks: nChunks,
        insert_chunks_per_s: insertPerS,
        match_count_ms: rounded(counted),
        bm25_top10_ms: rounded(ranked),
      }),
    );
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
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
  ms.sort((a, b) => a - b);
  const at = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

const rounded = (t: { p50: number; p95: number; p99: number }) => ({ p50: Math.round(t.p50 * 100) / 100, p95: Math.round(t.p95 * 100) / 100, p99: Math.round(t.p99 * 100) / 100 });

function int(v: string | undefined, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${v}`);
  return n;
}
