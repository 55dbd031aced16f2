/**
 * What the sync scenarios share: the data set (the DAG benchmark's synthetic exports), a clean
 * reference run of it per engine, a throwaway database per scenario, and a deployment split as
 * docker-compose.yml splits it — an external redis-server (AOF everysec), one `kith worker` per
 * source queue and one for the pipeline — that `kith sync` then drives.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { generate } from '../../bench/dag.bench.js';
import type { DbConfig } from '../../src/config/db.config.js';
import type { Db } from '../../src/db/db.js';
import { openDb } from '../../src/db/open-db.js';
import type { ChaosContext, ChaosResult } from '../scenario.js';
import { Procs, type Proc, type RedisServer, until } from './processes.js';
import { compareSnapshots, snapshotSize, takeSnapshot, type SyncSnapshot } from './sync-snapshot.js';

/** Fast: a few hundred people, some thousands of interactions. Full: a realistic mailbox. */
export const SIZES = { fast: { people: 300, interactions: 6000 }, full: { people: 5000, interactions: 100_000 } } as const;

/** The job lock every worker process gets (KITH_JOB_LOCK_MS). */
export const LOCK_MS = 4000;

/** The worker processes, as docker-compose.yml splits them: one per source queue, one for the pipeline. */
export const WORKER_GROUPS: Record<string, string[]> = {
  'source-vcard': ['source-vcard'],
  'source-mbox': ['source-mbox'],
  'source-android-calls': ['source-android-calls'],
  pipeline: ['sync-run', 'sync-schedule', 'sync-link', 'sync-relationships', 'sync-verify', 'sync-index', 'maintenance'],
};

export type ScenarioOutcome = Omit<ChaosResult, 'scenario' | 'engine'>;

export interface Dataset {
  dir: string;
  config: string;
}

const datasets = new Map<boolean, Promise<Dataset>>();
const datasetDirs: string[] = [];
/** Removes the data sets written so far (also done when the process exits). */
export function removeDatasets(): void {
  for (const d of datasetDirs.splice(0)) rmSync(d, { recursive: true, force: true });
  datasets.clear();
}
process.once('exit', removeDatasets);

/** The exports for `fast` or full mode, written once per process (removed when it exits). */
export function dataset(fast: boolean): Promise<Dataset> {
  let d = datasets.get(fast);
  if (!d) {
    d = (async () => {
      const dir = mkdtempSync(join(tmpdir(), `kith-chaos-data-${fast ? 'fast' : 'full'}-`));
      datasetDirs.push(dir);
      const size = fast ? SIZES.fast : SIZES.full;
      await generate(dir, size.people, size.interactions);
      return { dir, config: join(dir, 'kith.config.yaml') };
    })();
    d.catch(() => datasets.delete(fast));
    datasets.set(fast, d);
  }
  return d;
}

/** The `kith sync --json` report (its last stdout line). */
export interface SyncReport {
  runId: string;
  status: string;
  people: number;
  interactions: number;
  relationships: number;
  steps: { id: string; status: string; startedAt?: string; finishedAt?: string; records?: number }[];
}

export function parseReport(stdout: string): SyncReport | undefined {
  const line = stdout.trim().split('\n').pop();
  try {
    return line ? (JSON.parse(line) as SyncReport) : undefined;
  } catch {
    return undefined;
  }
}

/** A throwaway database for one scenario: SQLite in the data directory, or a new PostgreSQL database. */
export interface ScenarioDb {
  config: DbConfig;
  /** DATABASE_URL for the kith processes (unset for SQLite in KITH_DATA_DIR). */
  env: Record<string, string>;
}

export async function scenarioDb(ctx: ChaosContext, procs: Procs, dataDir: string, sqlitePath?: string): Promise<ScenarioDb> {
  if (ctx.engine === 'sqlite') {
    const path = sqlitePath ?? join(dataDir, 'kith.db');
    return { config: { engine: 'sqlite', path }, env: sqlitePath ? { DATABASE_URL: `sqlite:${sqlitePath}` } : {} };
  }
  if (!ctx.postgresUrl) throw new Error('the postgres engine needs a PostgreSQL server URL');
  const name = `kith_chaos_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: ctx.postgresUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  procs.onCleanup(async () => {
    const c = new pg.Client({ connectionString: ctx.postgresUrl });
    await c.connect();
    try {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await c.end();
    }
  });
  const u = new URL(ctx.postgresUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  return { config: { engine: 'postgres', url }, env: { DATABASE_URL: url } };
}

/** The clean run of a data set on an engine: its snapshot, report and step durations. */
export interface CleanReference {
  snapshot: SyncSnapshot;
  report: SyncReport;
  /** Seconds each step took in the clean run. */
  stepSeconds: Record<string, number>;
  /** SQLite: bytes of the database file (and its log) after the clean run. */
  sqliteBytes: number;
}

const references = new Map<string, Promise<CleanReference>>();

/** A fault-free `kith sync` of the data set (embedded Redis, its own workers), once per data set and engine. */
export function cleanReference(ctx: ChaosContext): Promise<CleanReference> {
  const key = `${ctx.fast}:${ctx.engine}`;
  let r = references.get(key);
  if (!r) {
    r = (async () => {
      const data = await dataset(ctx.fast);
      const procs = new Procs(ctx.log);
      try {
        const dataDir = procs.tempDir('clean');
        const db = await scenarioDb(ctx, procs, dataDir);
        ctx.log('clean reference run …');
        const started = Date.now();
        const out = await procs.kithRun('kith sync (clean)', ['sync', '--json', '--timeout', '600'], { KITH_CONFIG: data.config, KITH_DATA_DIR: dataDir, ...db.env }, 600_000, ctx.signal);
        const report = parseReport(out.stdout);
        if (out.code !== 0 || report?.status !== 'succeeded') throw new Error(`the clean reference run failed (exit ${out.code}): ${out.stderr.slice(-1500)}`);
        const warnings = out.stderr.split('\n').filter((l) => /"level":(40|50|60)/.test(l));
        if (warnings.length) ctx.log(`clean reference: ${warnings.length} warnings from its workers, e.g. ${warnings.slice(0, 3).map((l) => l.slice(0, 400)).join(' | ')}`);
        const snapshot = await takeSnapshot(db.config);
        ctx.log(`clean reference: ${JSON.stringify(snapshotSize(snapshot))} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        const stepSeconds = Object.fromEntries(report.steps.map((s) => [s.id, s.startedAt && s.finishedAt ? (Date.parse(s.finishedAt) - Date.parse(s.startedAt)) / 1000 : 0]));
        const sqliteBytes = db.config.engine === 'sqlite' ? fileBytes(db.config.path) + fileBytes(`${db.config.path}-wal`) : 0;
        return { snapshot, report, stepSeconds, sqliteBytes };
      } finally {
        await procs.cleanup();
      }
    })();
    r.catch(() => references.delete(key));
    references.set(key, r);
  }
  return r;
}

function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The deployment a sync scenario faults: external Redis, worker processes split by queue, one database. */
export interface Deployment {
  env: Record<string, string>;
  redis: RedisServer;
  db: ScenarioDb;
  /** The running worker process of each group (WORKER_GROUPS). */
  workers: Map<string, Proc>;
  /** Starts (again) the worker process of a group. */
  startWorker(group: string): Promise<Proc>;
  /** A read handle on the database (closed by the scenario's cleanup). */
  read(): Promise<Db>;
  /** Starts `kith sync --json` against it, following the run within `timeoutS`. */
  sync(label: string, timeoutS: number): Proc;
}

export async function deploy(ctx: ChaosContext, procs: Procs, opts: { sqlitePath?: string } = {}): Promise<Deployment> {
  const data = await dataset(ctx.fast);
  const dataDir = procs.tempDir('data');
  const db = await scenarioDb(ctx, procs, dataDir, opts.sqlitePath);
  const redis = await procs.redis(ctx.signal);
  const env: Record<string, string> = {
    KITH_CONFIG: data.config,
    KITH_DATA_DIR: dataDir,
    REDIS_URL: redis.url,
    KITH_JOB_LOCK_MS: String(LOCK_MS),
    KITH_SHUTDOWN_GRACE_MS: '1000',
    ...db.env,
  };
  const workers = new Map<string, Proc>();
  const startWorker = async (group: string) => {
    const p = await procs.worker(`kith worker ${group}`, WORKER_GROUPS[group]!, env, ctx.signal);
    workers.set(group, p);
    return p;
  };
  // The pipeline first: it migrates the database before the others open it.
  await startWorker('pipeline');
  await Promise.all(Object.keys(WORKER_GROUPS).filter((g) => g !== 'pipeline').map(startWorker));
  let handle: Promise<Db> | undefined;
  return {
    env,
    redis,
    db,
    workers,
    startWorker,
    read() {
      if (!handle) {
        handle = openDb(db.config, { migrate: false });
        procs.onCleanup(async () => (await handle)?.close());
      }
      return handle;
    },
    sync: (label, timeoutS) => procs.kith(label, ['sync', '--json', '--timeout', String(timeoutS)], env),
  };
}

export interface StepState {
  run_id: string;
  status: string;
  attempts: number;
  error: string | null;
}

/** The state of `stepId` in the latest run, if any. */
export async function stepState(db: Db, stepId: string): Promise<StepState | undefined> {
  return db.get<StepState>(
    `SELECT s.run_id, s.status, s.attempts, s.error FROM sync_run_steps s JOIN sync_runs r ON r.id = s.run_id WHERE s.step_id = ? ORDER BY r.started_at DESC LIMIT 1`,
    [stepId],
  );
}

/** Waits until `stepId` of the latest run is in one of `statuses`. */
export function stepReaches(db: Db, stepId: string, statuses: string[], withinMs: number, signal: AbortSignal, everyMs = 20): Promise<StepState> {
  return until(`step ${stepId} to be ${statuses.join(' or ')}`, withinMs, async () => {
    const s = await stepState(db, stepId);
    return s && statuses.includes(s.status) ? s : undefined;
  }, signal, everyMs);
}

/** Worker processes that exited although nobody stopped them. */
export function crashedWorkers(d: Deployment): string[] {
  return [...d.workers].filter(([, p]) => !p.running()).map(([g, p]) => `the worker process for ${g} (pid ${p.pid}) exited by itself (${p.stderr().trim().split('\n').slice(-3).join(' | ')})`);
}

/** The snapshot of a deployment's database compared with the clean run's, as a result. */
export async function judge(ctx: ChaosContext, dbc: DbConfig, discrepancies: string[], extra: Partial<ScenarioOutcome> = {}): Promise<ScenarioOutcome> {
  const ref = await cleanReference(ctx);
  const got = await takeSnapshot(dbc);
  const diff = compareSnapshots(ref.snapshot, got);
  const all = [...discrepancies, ...diff.discrepancies];
  return {
    passed: all.length === 0,
    recovery_s: null,
    lost: diff.lost,
    duplicated: diff.duplicated,
    drift_pct: null,
    discrepancies: all,
    ...extra,
    details: { ...snapshotSize(got), clean: snapshotSize(ref.snapshot), ...(extra.details ?? {}) },
  };
}

/** Runs `body` with a fresh `Procs`, cleaning up whatever it started however it ends. */
export async function withProcs<T>(ctx: ChaosContext, body: (procs: Procs) => Promise<T>): Promise<T> {
  const procs = new Procs(ctx.log);
  try {
    return await body(procs);
  } finally {
    await procs.cleanup();
  }
}
