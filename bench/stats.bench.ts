/**
 * `npm run bench -- stats --people 20000 --interactions 1000000 --affected 100 [--db postgres] [--batch 50000]`
 *
 * Builds a people graph (uniform random people over eight interaction source types) twice:
 * once with count maintenance switched off (the raw baseline) and once with it on, then times a
 * targeted refresh of `--affected` random people (median of 5), a full verify, relationship
 * discovery and strengths. Progress on stderr; the last stdout line is one JSON object.
 * PostgreSQL: DATABASE_URL (postgres://…) when set, else a throwaway server from startPostgres().
 * BENCH_CACHE_MB=64 sets SQLite's page cache for the run (the driver's default is 2 MB).
 * Besides wall-clock rates it reports the CPU each ingested row cost, in this process and (for
 * the throwaway PostgreSQL, whose processes it can read in /proc) in the database server: on a
 * busy machine the wall clock measures the neighbours, the CPU per row much less so.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startPostgres } from '../tests/support/postgres-server.js';
import type { Db } from '../src/db/db.js';
import { placeholders } from '../src/db/db.js';
import { openDb } from '../src/db/open-db.js';
import type { InteractionInput } from '../src/domain/people/interaction.js';
import { ingestInteractions } from '../src/people/ingest.service.js';
import { discoverRelationships } from '../src/people/relationships.service.js';
import { refreshPeopleStats, verifyStats } from '../src/people/stats.service.js';
import { computeStrengths } from '../src/people/strengths.service.js';
import type { InteractionSourceType } from '../src/sources/source-event.js';
import { positiveInt as int } from './support/measure.js';

const TYPES: InteractionSourceType[] = ['gmail', 'calendar', 'vault', 'granola', 'imessage', 'whatsapp', 'sms', 'slack'];
const log = (msg: string) => process.stderr.write(`[stats] ${msg}\n`);

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      people: { type: 'string', default: '20000' },
      interactions: { type: 'string', default: '1000000' },
      affected: { type: 'string', default: '100' },
      db: { type: 'string', default: 'sqlite' },
      batch: { type: 'string', default: '50000' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.error('usage: npm run bench -- stats [--people N] [--interactions N] [--affected N] [--db sqlite|postgres] [--batch N]');
    return;
  }
  const nPeople = int(values.people, 'people');
  const nRows = int(values.interactions, 'interactions');
  const nAffected = int(values.affected, 'affected');
  const batch = int(values.batch, 'batch');
  if (values.db !== 'sqlite' && values.db !== 'postgres') throw new Error(`--db must be sqlite or postgres, got ${values.db}`);

  const env = await openEnvironment(values.db);
  try {
    const ids = Array.from({ length: nPeople }, (_, i) => `p_bench_${String(i).padStart(6, '0')}`);
    log(`generating ${nRows} rows over ${nPeople} people`);
    const rows = generate(ids, nRows);

    const rawDb = await env.open('raw');
    await seedPeople(rawDb, ids);
    const { seconds: rawS, cpu: rawCpu } = await timeIngest(rawDb, rows, batch, false, env.serverCpuMs);
    log(`raw ingest: ${Math.round(nRows / rawS)} rows/s`);
    await rawDb.close();
    await env.drop('raw');

    const db = await env.open('main');
    await seedPeople(db, ids);
    const { seconds: s, cpu } = await timeIngest(db, rows, batch, true, env.serverCpuMs);
    log(`ingest with counts: ${Math.round(nRows / s)} rows/s`);
    // What autovacuum does after a bulk load; without it PostgreSQL plans from empty-table stats
    // and cannot use index-only scans (the visibility map is unset).
    if (db.engine === 'postgres') await db.exec('VACUUM ANALYZE');
    else await db.exec('ANALYZE');

    const refreshes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const pick = Array.from({ length: nAffected }, () => ids[Math.floor(Math.random() * ids.length)]!);
      const t0 = performance.now();
      await refreshPeopleStats(db, pick);
      refreshes.push(performance.now() - t0);
    }
    const targeted = median(refreshes);
    log(`targeted refresh of ${nAffected}: ${targeted.toFixed(2)} ms (median of 5)`);
    await verifyStats(db); // warm the cache once, as a daily verify would find it
    const t1 = performance.now();
    const v = await verifyStats(db);
    const fullVerify = performance.now() - t1;
    log(`full verify: ${fullVerify.toFixed(1)} ms, ${v.discrepancies.length} discrepancies`);
    const t2 = performance.now();
    const rel = await discoverRelationships(db);
    const relMs = performance.now() - t2;
    log(`relationships: ${rel.relationships} in ${relMs.toFixed(0)} ms`);
    const t3 = performance.now();
    await computeStrengths(db, Date.now());
    const strengthMs = performance.now() - t3;
    log(`strengths: ${strengthMs.toFixed(0)} ms`);
    await db.close();
    await env.drop('main');

    console.log(
      JSON.stringify({
        db: values.db,
        people: nPeople,
        interactions: nRows,
        affected: nAffected,
        batch,
        ingest_rows_per_s: Math.round(nRows / s),
        ingest_rows_per_s_raw: Math.round(nRows / rawS),
        ingest_ratio: Math.round((rawS / s) * 100) / 100,
        ingest_cpu_us_per_row: perRow(cpu, nRows),
        ingest_cpu_us_per_row_raw: perRow(rawCpu, nRows),
        targeted_refresh_ms: round2(targeted),
        full_verify_ms: round2(fullVerify),
        discrepancies: v.discrepancies.length,
        relationships: rel.relationships,
        relationships_ms: Math.round(relMs),
        strengths_ms: Math.round(strengthMs),
      }),
    );
  } finally {
    await env.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round2 = (x: number) => Math.round(x * 100) / 100;

function generate(ids: string[], n: number): InteractionInput[] {
  // mulberry32: consecutive draws must be independent (a plain LCG correlates type and key).
  let s = 42;
  const rnd = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const start = Date.now() - 3 * 365 * 86_400_000;
  const rows: InteractionInput[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const sourceType = TYPES[Math.floor(rnd() * TYPES.length)]!;
    rows[i] = {
      personId: ids[Math.floor(rnd() * ids.length)]!,
      sourceType,
      externalId: `bench-${i}`,
      occurredAt: start + Math.floor(rnd() * 3 * 365 * 86_400_000),
      title: `item ${i}`,
      conversationKey: `c${Math.floor(rnd() * (n / 5))}`,
    };
  }
  return rows;
}

async function seedPeople(db: Db, ids: string[]): Promise<void> {
  const now = Date.now();
  await db.tx(async (q) => {
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      await q.run(
        `INSERT INTO people (id, canonical_name, name_key, created_at, updated_at) VALUES ${placeholders(chunk.length, 5)}`,
        chunk.flatMap((id) => [id, id, id, now, now]),
      );
    }
  });
}

interface IngestCpu {
  node_ms: number;
  server_ms: number | null;
}

async function timeIngest(db: Db, rows: InteractionInput[], batch: number, maintainCounts: boolean, serverCpuMs: () => number | null): Promise<{ seconds: number; cpu: IngestCpu }> {
  const server0 = serverCpuMs();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < rows.length; i += batch) await ingestInteractions(db, rows.slice(i, i + batch), { maintainCounts });
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(cpu0);
  const server1 = serverCpuMs();
  return { seconds, cpu: { node_ms: (c.user + c.system) / 1000, server_ms: server0 === null || server1 === null ? null : server1 - server0 } };
}

function perRow(cpu: IngestCpu, n: number): { node: number; server: number | null } {
  const us = (ms: number) => Math.round((ms * 1000 * 100) / n) / 100;
  return { node: us(cpu.node_ms), server: cpu.server_ms === null ? null : us(cpu.server_ms) };
}

/** CPU milliseconds used so far by a local PostgreSQL's postmaster and its children (Linux /proc), or null. */
function postgresCpuMs(port: number): () => number | null {
  let postmaster: number | undefined;
  try {
    const m = /pid=(\d+)/.exec(execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' }));
    postmaster = m ? Number(m[1]) : undefined;
  } catch {
    postmaster = undefined;
  }
  const ticksMs = 10; // USER_HZ is 100 on Linux
  const cpuOf = (pid: string): number => {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * ticksMs;
    } catch {
      return 0;
    }
  };
  return () => {
    if (postmaster === undefined) return null;
    let children: string[] = [];
    try {
      children = execFileSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
    } catch {
      return null;
    }
    // utime+stime of the live children, plus cutime+cstime of the postmaster (children that exited).
    return children.reduce((a, p) => a + cpuOf(p), 0) + cpuOf(String(postmaster));
  };
}

interface BenchEnv {
  /** CPU milliseconds the database server has used so far, when it can be read (else null). */
  serverCpuMs(): number | null;
  open(name: string): Promise<Db>;
  drop(name: string): Promise<void>;
  close(): Promise<void>;
}

async function openEnvironment(engine: string): Promise<BenchEnv> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'kith-bench-stats-'));
    return {
      serverCpuMs: () => null,
      async open(name) {
        const db = await openDb({ engine: 'sqlite', path: join(dir, `${name}.db`) });
        if (process.env.BENCH_CACHE_MB) await db.exec(`PRAGMA cache_size = -${Number(process.env.BENCH_CACHE_MB) * 1024}`);
        return db;
      },
      drop: async (name) => rmSync(join(dir, `${name}.db`), { force: true }),
      close: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const given = process.env.DATABASE_URL?.startsWith('postgres') ? process.env.DATABASE_URL : undefined;
  const server = given ? undefined : await startPostgres();
  const base = given ?? server!.url;
  const tag = Math.random().toString(36).slice(2, 8);
  const dbName = (name: string) => `kith_bench_${name}_${tag}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  const urlFor = (name: string) => {
    const u = new URL(base);
    u.pathname = `/${dbName(name)}`;
    return u.toString();
  };
  return {
    serverCpuMs: server ? postgresCpuMs(server.port) : () => null,
    async open(name) {
      await admin(`CREATE DATABASE ${dbName(name)}`);
      return openDb({ engine: 'postgres', url: urlFor(name) });
    },
    drop: (name) => admin(`DROP DATABASE IF EXISTS ${dbName(name)}`),
    close: async () => server?.stop(),
  };
}
