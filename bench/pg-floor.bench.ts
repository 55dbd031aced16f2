/**
 * `npm run bench -- pg-floor --people 20000 --interactions 200000 [--batch 50000]`
 *
 * What PostgreSQL itself costs for each part of a batched ingest, with plain node-postgres and
 * no Kith code: the same tables and indexes as Kith's (people at fillfactor 50; interactions with
 * its identity key, `UNIQUE (source_type, external_id)` and `(person_id, source_type,
 * occurred_at)`), the same uniform data as the stats bench, one throwaway server, one connection.
 * Each part runs over the whole data set in batches, alone, on a fresh database:
 *
 * - `copy`: COPY of the batch into a temporary staging table;
 * - `copy_direct`: COPY of the batch straight into interactions (all three indexes), in the
 *   generated order (which is nearly the key index's order);
 * - `copy_direct_by_person`: the same with each batch sorted by person (Kith's fast path: the
 *   `(person_id, …)` index, the costliest to maintain, is then inserted into in order);
 * - `insert_pk_only`: INSERT … SELECT from staging into interactions with only its primary key;
 * - `insert_plain`: the same with all three indexes, no ON CONFLICT;
 * - `anti_join`: the same as insert_plain for only the keys not stored yet (`WHERE NOT EXISTS`);
 * - `upsert`: the same with ON CONFLICT (source_type, external_id) DO NOTHING (Kith's fallback
 *   when a batch meets a stored key);
 * - `lock_people`: SELECT … FOR UPDATE of the batch's distinct people, in id order;
 * - `counts`: the `count = count + delta` UPDATE of those people from a pre-aggregated delta.
 *
 * For each, wall-clock rows/s and the server process's CPU per row (from /proc, so the figure
 * holds on a busy machine) are printed; the last stdout line is one JSON object.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startPostgres } from '../tests/support/postgres-server.js';

const TYPES = ['gmail', 'calendar', 'vault', 'granola', 'imessage', 'whatsapp', 'sms', 'slack'];
const COLS = 'person_id, source_type, external_id, occurred_at, title, snippet, conversation_key, entity_ref';
const log = (msg: string) => process.stderr.write(`[pg-floor] ${msg}\n`);

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      people: { type: 'string', default: '20000' },
      interactions: { type: 'string', default: '200000' },
      batch: { type: 'string', default: '50000' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.error('usage: npm run bench -- pg-floor [--people N] [--interactions N] [--batch N]');
    return;
  }
  const nPeople = Number(values.people);
  const n = Number(values.interactions);
  const batch = Number(values.batch);
  const batches = generate(nPeople, n, batch, false);
  const byPerson = generate(nPeople, n, batch, true);

  const server = await startPostgres();
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  const results: Record<string, { rows_per_s: number; server_cpu_us_per_row: number }> = {};
  try {
    let dbNo = 0;
    const part = async (name: string, indexes: string[], timed: (c: pg.Client) => Promise<void>) => {
      const direct = name.startsWith('copy_direct');
      const dbName = `floor_${dbNo++}`;
      await admin.query(`CREATE DATABASE ${dbName}`);
      const u = new URL(server.url);
      u.pathname = `/${dbName}`;
      const c = new pg.Client({ connectionString: u.toString() });
      await c.connect();
      try {
        const pid = Number((await c.query<{ p: number }>('SELECT pg_backend_pid() AS p')).rows[0]!.p);
        await c.query(schema(nPeople, indexes));
        await c.query('CHECKPOINT');
        let wall = 0;
        let cpu = 0;
        for (const [k, b] of batches.entries()) {
          await c.query('BEGIN');
          await c.query('TRUNCATE staging, delta');
          if (name !== 'copy' && !direct) {
            // Untimed set-up of the parts that follow COPY.
            await copyIn(c, `COPY staging (${COLS}) FROM STDIN`, b);
            if (name === 'counts') await c.query(DELTA);
          }
          const cpu0 = cpuMs(pid);
          const t0 = performance.now();
          if (name === 'copy') await copyIn(c, `COPY staging (${COLS}) FROM STDIN`, b);
          else if (direct) await copyIn(c, `COPY interactions (${COLS}) FROM STDIN`, name === 'copy_direct' ? b : byPerson[k]!);
          else await timed(c);
          wall += performance.now() - t0;
          cpu += cpuMs(pid) - cpu0;
          await c.query('COMMIT');
        }
        results[name] = { rows_per_s: Math.round((n / wall) * 1000), server_cpu_us_per_row: Math.round(((cpu * 1000) / n) * 100) / 100 };
        log(`${name}: ${JSON.stringify(results[name])}`);
      } finally {
        await c.end();
        await admin.query(`DROP DATABASE ${dbName}`);
      }
    };
    const ALL = ['CREATE UNIQUE INDEX interactions_key ON interactions (source_type, external_id)', 'CREATE INDEX interactions_person ON interactions (person_id, source_type, occurred_at)'];
    const insert = `INSERT INTO interactions (${COLS}) SELECT ${COLS} FROM staging`;
    await part('copy', ALL, async () => undefined);
    await part('insert_pk_only', [], (c) => c.query(insert).then(() => undefined));
    await part('insert_plain', ALL, (c) => c.query(insert).then(() => undefined));
    await part('copy_direct', ALL, async () => undefined);
    await part('copy_direct_by_person', ALL, async () => undefined);
    await part('anti_join', ALL, (c) =>
      c.query(`${insert} s WHERE NOT EXISTS (SELECT 1 FROM interactions i WHERE i.source_type = s.source_type AND i.external_id = s.external_id)`).then(() => undefined),
    );
    await part('upsert', ALL, (c) => c.query(`${insert} ON CONFLICT (source_type, external_id) DO NOTHING`).then(() => undefined));
    await part('lock_people', ALL, (c) => c.query('SELECT id, merged_into FROM people WHERE id IN (SELECT DISTINCT person_id FROM staging) ORDER BY id FOR UPDATE').then(() => undefined));
    await part('counts', ALL, (c) => c.query(COUNTS).then(() => undefined));
  } finally {
    await admin.end();
    server.stop();
  }
  console.log(JSON.stringify({ people: nPeople, interactions: n, batch, ...results }));
}

const DELTA = `INSERT INTO delta SELECT person_id,
    count(*) FILTER (WHERE source_type = 'gmail'), count(*) FILTER (WHERE source_type = 'calendar'),
    count(*) FILTER (WHERE source_type IN ('imessage', 'whatsapp', 'sms', 'slack')), count(*) FILTER (WHERE source_type IN ('vault', 'granola')), 0,
    bit_or(CASE source_type WHEN 'gmail' THEN 1 WHEN 'calendar' THEN 2 WHEN 'vault' THEN 4 WHEN 'granola' THEN 8 WHEN 'imessage' THEN 16 WHEN 'whatsapp' THEN 32 WHEN 'sms' THEN 64 ELSE 128 END),
    min(occurred_at), max(occurred_at)
  FROM staging GROUP BY person_id ORDER BY person_id`;
const COUNTS = `UPDATE people AS p SET email_count = p.email_count + d.e, meeting_count = p.meeting_count + d.m, message_count = p.message_count + d.g,
    mention_count = p.mention_count + d.n, call_count = p.call_count + d.c, source_mask = p.source_mask | d.mask,
    first_interaction_at = CASE WHEN p.first_interaction_at IS NULL OR p.first_interaction_at > d.f THEN d.f ELSE p.first_interaction_at END,
    last_interaction_at = CASE WHEN p.last_interaction_at IS NULL OR p.last_interaction_at < d.l THEN d.l ELSE p.last_interaction_at END
  FROM delta d WHERE p.id = d.id`;

function schema(nPeople: number, indexes: string[]): string {
  return `
CREATE TABLE people (id TEXT PRIMARY KEY, canonical_name TEXT NOT NULL DEFAULT '', name_key TEXT NOT NULL DEFAULT '', emails TEXT NOT NULL DEFAULT '[]',
  phones TEXT NOT NULL DEFAULT '[]', company TEXT, job_title TEXT, category_code TEXT,
  email_count INTEGER NOT NULL DEFAULT 0, meeting_count INTEGER NOT NULL DEFAULT 0, message_count INTEGER NOT NULL DEFAULT 0,
  mention_count INTEGER NOT NULL DEFAULT 0, call_count INTEGER NOT NULL DEFAULT 0, source_mask INTEGER NOT NULL DEFAULT 0,
  first_interaction_at BIGINT, last_interaction_at BIGINT, strength DOUBLE PRECISION, strength_at BIGINT, merged_into TEXT,
  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL) WITH (fillfactor = 50);
CREATE INDEX people_name_key ON people (name_key);
CREATE INDEX people_merged_into ON people (merged_into);
INSERT INTO people (id, canonical_name, name_key, created_at, updated_at)
  SELECT 'p_bench_' || lpad(g::text, 6, '0'), 'p' || g, 'p' || g, 0, 0 FROM generate_series(0, ${nPeople - 1}) g;
CREATE TABLE interactions (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, person_id TEXT NOT NULL, source_type TEXT NOT NULL,
  external_id TEXT NOT NULL, occurred_at BIGINT NOT NULL, title TEXT NOT NULL DEFAULT '', snippet TEXT, conversation_key TEXT, entity_ref TEXT);
${indexes.map((i) => `${i};`).join('\n')}
CREATE TEMP TABLE staging (person_id text, source_type text, external_id text, occurred_at bigint, title text, snippet text, conversation_key text, entity_ref text);
CREATE TEMP TABLE delta (id text, e int, m int, g int, n int, c int, mask int, f bigint, l bigint);`;
}

/** The stats bench's data (same generator), as COPY text in 2,000-row messages per batch (each batch sorted by person: `byPerson`). */
function generate(nPeople: number, n: number, batch: number, byPerson: boolean): Buffer[][] {
  let s = 42;
  const rnd = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const start = Date.now() - 3 * 365 * 86_400_000;
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const type = TYPES[Math.floor(rnd() * TYPES.length)]!;
    const person = `p_bench_${String(Math.floor(rnd() * nPeople)).padStart(6, '0')}`;
    lines.push(`${person}\t${type}\tbench-${i}\t${start + Math.floor(rnd() * 3 * 365 * 86_400_000)}\titem ${i}\t\\N\tc${Math.floor(rnd() * (n / 5))}\t\\N\n`);
  }
  const out: Buffer[][] = [];
  for (let i = 0; i < n; i += batch) {
    const rows = lines.slice(i, Math.min(n, i + batch));
    // A line starts with its person, then its source type.
    if (byPerson) rows.sort();
    const b: Buffer[] = [];
    for (let j = 0; j < rows.length; j += 2000) b.push(Buffer.from(rows.slice(j, j + 2000).join('')));
    out.push(b);
  }
  return out;
}

/** COPY FROM STDIN through node-postgres' submittable hook (the protocol messages, nothing more). */
function copyIn(c: pg.Client, sql: string, chunks: Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const q = {
      submit: (con: { query(t: string): void }) => con.query(sql),
      handleCopyInResponse: (con: { sendCopyFromChunk(b: Buffer): void; endCopyFrom(): void }) => {
        for (const x of chunks) con.sendCopyFromChunk(x);
        con.endCopyFrom();
      },
      handleCommandComplete: () => undefined,
      handleReadyForQuery: () => resolve(),
      handleError: (e: unknown) => reject(e),
    };
    void c.query(q as unknown as pg.Submittable);
  });
}

/** CPU milliseconds a local process has used (Linux /proc; USER_HZ 100). */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}
