/**
 * `npm run bench -- search [--chunks 1000000] [--people 20000] [--queries 1000] [--embedded 100000] [--db sqlite|postgres] [--keep]`
 *
 * Builds a synthetic index: notes (Markdown files in a folder, two sections each, a few people
 * mentioned), mail (one chunk a message, two people) and messages (a conversation's day a chunk)
 * over `--people` people, in the proportions 40/30/30 of `--chunks`. The interactions behind
 * them are written straight into the tables and the notes to files (setup, not measured); then
 * it times indexing every chunk (notes read from their files), BM25 queries of two or three words
 * from the same vocabulary, the same with a person filter, and an incremental notes pass over
 * the folder after 1,000 notes were edited. Progress on stderr; the last stdout line is
 * one JSON object. Then `--embedded` chunks (default 100,000) are embedded through the loopback
 * embeddings emulator (384 dimensions) into the vector store (sqlite-vec or pgvector), and the
 * same queries are run in hybrid mode (BM25 and vectors fused by reciprocal rank).
 * PostgreSQL: DATABASE_URL (postgres://…) when set, else a throwaway server. `--keep` leaves the
 * SQLite database in place (its path on stderr) for queries of one's own against the same index.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startPostgres } from '../tests/support/postgres-server.js';
import type { Db, Params } from '../src/db/db.js';
import { openDb } from '../src/db/open-db.js';
import { indexItems, indexNotes } from '../src/search/index.service.js';
import { search } from '../src/search/search.service.js';
import { chunkTexts } from '../src/search/chunk.store.js';
import { createVectorIndex } from '../src/search/vectors/vector-index.js';
import { enableVectorExtension } from '../src/search/vectors/vector-extension.js';
import { EmbeddingsClient } from '../src/systems/embeddings/embeddings-client.js';
import { startEmbeddingsEmulator } from '../tests/emulators/embeddings/embeddings-emulator.js';
import { percentiles, positiveInt as int } from './support/measure.js';
import { benchQueries, rng, word, words } from './support/synthetic-text.js';

const log = (msg: string) => process.stderr.write(`[search] ${msg} (rss ${Math.round(process.memoryUsage.rss() / 1048576)} MB, heap ${Math.round(process.memoryUsage().heapUsed / 1048576)} MB)\n`);
const CHAT = ['slack', 'whatsapp', 'imessage', 'sms', 'linkedin'];
const BASE = Date.parse('2024-01-01T00:00:00Z');
const DAY = 86_400_000;

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      chunks: { type: 'string', default: '1000000' },
      people: { type: 'string', default: '20000' },
      queries: { type: 'string', default: '1000' },
      embedded: { type: 'string', default: '100000' },
      db: { type: 'string', default: 'sqlite' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.error('usage: npm run bench -- search [--chunks N] [--people N] [--queries N] [--embedded N] [--db sqlite|postgres] [--keep]');
    return;
  }
  const nChunks = int(values.chunks, 'chunks');
  const nPeople = int(values.people, 'people');
  const nQueries = int(values.queries, 'queries');
  const nEmbedded = int(values.embedded, 'embedded');
  if (values.db !== 'sqlite' && values.db !== 'postgres') throw new Error(`--db must be sqlite or postgres, got ${values.db}`);
  const nNotes = Math.floor((nChunks * 0.4) / 2);
  const nMail = Math.floor(nChunks * 0.3);
  const nDays = nChunks - nNotes * 2 - nMail;
  const nConv = Math.max(1, Math.floor(nDays / 15));

  const env = await openEnvironment(values.db, values.keep);
  const db = env.db;
  const vault = { id: 'bench', path: mkdtempSync(join(tmpdir(), 'kith-bench-notes-')) };
  try {
    const people = Array.from({ length: nPeople }, (_, i) => `p_bench_${String(i).padStart(6, '0')}`);
    log(`setup: ${nPeople} people, ${nNotes} notes, ${nMail} mails, ${nDays} conversation days in ${nConv} conversations`);
    await setup(db, people, nNotes, nMail, nDays, nConv);
    writeNotes(vault.path, nNotes, new Set());

    log('indexing');
    const t0 = performance.now();
    const notes = await indexNotes(db, [vault]);
    const tMail = performance.now();
    const mail = await indexItems(db, 'mail');
    const tMessage = performance.now();
    const message = await indexItems(db, 'message');
    const indexS = (performance.now() - t0) / 1000;
    const rate = (n: number, ms: number) => `${n} chunks at ${Math.round(n / (ms / 1000))}/s`;
    log(`  notes ${rate(notes.written, tMail - t0)}, mail ${rate(mail.written, tMessage - tMail)}, messages ${rate(message.written, performance.now() - tMessage)}`);
    const written = notes.written + mail.written + message.written;
    log(`indexed ${written} chunks in ${indexS.toFixed(1)} s`);
    await db.exec(db.engine === 'postgres' ? 'VACUUM ANALYZE' : 'ANALYZE');

    const queries = benchQueries(nQueries);
    const bm25 = await timeAll(queries, (q) => search(db, { query: q, limit: 10 }));
    log(`bm25 p95 ${bm25.p95.toFixed(1)} ms`);
    const filtered = await timeAll(queries, (q, i) => search(db, { query: q, personId: people[(i * 7919) % people.length], limit: 10 }));
    log(`person-filtered p95 ${filtered.p95.toFixed(1)} ms`);

    const changed = new Set(Array.from({ length: Math.min(1000, nNotes) }, (_, i) => Math.floor((i * nNotes) / Math.min(1000, nNotes))));
    writeNotes(vault.path, nNotes, changed, true);
    const t1 = performance.now();
    const reindex = await indexNotes(db, [vault]);
    const reindexS = (performance.now() - t1) / 1000;
    log(`re-index with ${changed.size} changed notes: ${reindex.written} chunks written in ${reindexS.toFixed(2)} s`);

    const hybrid = await timeHybrid(db, queries, nEmbedded);

    console.log(
      JSON.stringify({
        engine: db.engine,
        chunks: written,
        people: nPeople,
        index_chunks_per_s: Math.round(written / indexS),
        bm25_query_ms: { p50: round(bm25.p50), p95: round(bm25.p95), p99: round(bm25.p99) },
        person_filtered_query_ms: { p95: round(filtered.p95) },
        hybrid_query_ms: hybrid ? { p50: round(hybrid.p50), p95: round(hybrid.p95), p99: round(hybrid.p99) } : null,
        embedded_chunks: hybrid?.embedded ?? 0,
        embed_chunks_per_s: hybrid?.perS ?? null,
        reindex_1000_changed_notes_s: round(reindexS),
        reindex_chunks_written: reindex.written,
        db_size_mb: round(await env.sizeMb()),
        peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      }),
    );
  } finally {
    await env.close();
    rmSync(vault.path, { recursive: true, force: true });
  }
}

/**
 * Notes as Markdown files in a folder of folders (a thousand notes each), two sections of ~80
 * words; a changed note has a paragraph more. `onlyChanged` rewrites just the changed ones.
 */
function writeNotes(root: string, n: number, changed: ReadonlySet<number>, onlyChanged = false): void {
  for (let k = 0; k < n; k++) {
    if (onlyChanged && !changed.has(k)) continue;
    const r = rng(k + 1);
    const edit = changed.has(k) ? `\n\nEdited ${words(rng(k + 99_999), 12)}` : '';
    const text = `---\ndate: ${new Date(BASE + (k % 700) * DAY).toISOString().slice(0, 10)}\n---\n# ${words(r, 3)}\n\n${words(r, 80)}\n\n## ${words(r, 2)}\n\n${words(r, 80)}${edit}\n`;
    const dir = join(root, `Notes${Math.floor(k / 1000)}`);
    if (k % 1000 === 0 || onlyChanged) mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `n${k}.md`), text);
  }
}

/** People, and the interactions the chunks' people are read from (notes, mail, messages). */
async function setup(db: Db, people: string[], nNotes: number, nMail: number, nDays: number, nConv: number): Promise<void> {
  const now = Date.now();
  const r = rng(3);
  const name = (i: number) => `${word(r)} ${word(r)} ${i}`;
  await insert(db, 'INSERT INTO people (id, canonical_name, name_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?)', people.map((id, i) => { const n = name(i); return [id, n, n.toLowerCase(), now, now]; }));
  const pick = () => people[Math.floor(r() * people.length)]!;
  const sql = 'INSERT INTO interactions (person_id, source_type, external_id, occurred_at, title, snippet, conversation_key, entity_ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?)';
  await insert(db, sql, (function* () {
    for (let k = 0; k < nNotes; k++) {
      const rel = `Notes${Math.floor(k / 1000)}/n${k}.md`;
      for (const p of new Set([pick(), pick()])) yield [p, 'vault', `${rel}#${p}`, BASE + (k % 700) * DAY, `n${k}`, null, rel, p];
    }
    for (let m = 0; m < nMail; m++) {
      const key = `m${m}@bench`;
      const subject = words(r, 5);
      const body = words(r, 30);
      for (const p of new Set([pick(), pick()])) yield [p, 'gmail', `${key}#email:${p}`, BASE + m * 60_000, subject, body, `t${m >> 2}`, `email:${p}`];
    }
    const convPeople = Array.from({ length: nConv }, () => [pick(), pick()]);
    for (let d = 0; d < nDays; d++) {
      const c = d % nConv;
      const day = Math.floor(d / nConv);
      const source = CHAT[c % CHAT.length]!;
      for (let j = 0; j < 3; j++) {
        const p = convPeople[c]![j % 2]!;
        yield [p, source, `${source}-${c}-${day}-${j}#${p}`, BASE + day * DAY + j * 600_000, `chat ${c}`, words(r, 12), `conv-${c}`, p];
      }
    }
  })());
}

async function insert(db: Db, sql: string, rows: Iterable<Params>): Promise<void> {
  let batch: Params[] = [];
  let total = 0;
  const flush = async () => {
    await db.tx((q) => q.runMany(sql, batch));
    total += batch.length;
    if (total % 200_000 < batch.length) log(`  ${total} rows`);
    batch = [];
  };
  for (const row of rows) {
    batch.push(row);
    if (batch.length >= 20_000) await flush();
  }
  if (batch.length) await flush();
}

/**
 * Embed the first `n` chunks through the loopback embeddings emulator (384 dimensions) and time
 * the queries in hybrid mode; null (said on stderr) when the database has no vector extension.
 */
async function timeHybrid(db: Db, queries: string[], n: number): Promise<(Awaited<ReturnType<typeof timeAll>> & { embedded: number; perS: number }) | null> {
  const ext = await enableVectorExtension(db);
  if (!ext.ok) {
    log(`hybrid: skipped (${ext.reason})`);
    return null;
  }
  const model = 'kith-bench-embed';
  const emu = await startEmbeddingsEmulator({ dims: 384, models: [model] });
  const client = new EmbeddingsClient({ url: emu.url, model, batchSize: 256 });
  try {
    const vectors = createVectorIndex(db, client, model);
    async function* firstChunks() {
      let i = 0;
      for await (const c of chunkTexts(db)) {
        if (i++ >= n) return;
        yield c;
      }
    }
    log(`embedding ${n} chunks through the emulator`);
    const t0 = performance.now();
    const embedded = await vectors.embedMissing(firstChunks());
    const perS = Math.round(embedded / ((performance.now() - t0) / 1000));
    log(`embedded ${embedded} chunks (${perS}/s)`);
    const timed = await timeAll(queries, (q) => search(db, { query: q, mode: 'hybrid', limit: 10 }, vectors));
    log(`hybrid p95 ${timed.p95.toFixed(1)} ms`);
    return { ...timed, embedded, perS };
  } finally {
    await client.close();
    await emu.close();
  }
}

async function timeAll<T>(items: string[], fn: (q: string, i: number) => Promise<T>) {
  const ms: number[] = [];
  for (let i = 0; i < items.length; i++) {
    const t = performance.now();
    await fn(items[i]!, i);
    ms.push(performance.now() - t);
  }
  return percentiles(ms);
}

const round = (x: number) => Math.round(x * 100) / 100;

async function openEnvironment(engine: string, keep = false): Promise<{ db: Db; sizeMb(): Promise<number>; close(): Promise<void> }> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'kith-bench-search-'));
    const path = join(dir, 'kith.db');
    const db = await openDb({ engine: 'sqlite', path });
    return {
      db,
      async sizeMb() {
        await db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
        const size = (f: string) => (existsSync(f) ? statSync(f).size : 0);
        return (size(path) + size(`${path}-wal`)) / 1048576;
      },
      async close() {
        await db.close();
        if (keep) log(`kept the database: ${path}`);
        else rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const given = process.env.DATABASE_URL?.startsWith('postgres') ? process.env.DATABASE_URL : undefined;
  const server = given ? undefined : await startPostgres();
  const base = given ?? server!.url;
  const name = `kith_bench_search_${Math.random().toString(36).slice(2, 8)}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const u = new URL(base);
  u.pathname = `/${name}`;
  const db = await openDb({ engine: 'postgres', url: u.toString() });
  return {
    db,
    async sizeMb() {
      return Number((await db.get<{ n: string }>('SELECT pg_database_size(current_database()) AS n'))!.n) / 1048576;
    },
    async close() {
      await db.close();
      await admin(`DROP DATABASE IF EXISTS ${name}`);
      await server?.stop();
    },
  };
}
