/**
 * The contact hub as a deployment runs it, on loopback, for the fault-injection scenarios:
 * an external redis-server (AOF, fsync every second) that can be SIGKILLed and restarted on the
 * same port and directory; Kith's HTTP server (webhook routes) in this process, as the hub
 * bench runs it; two real `kith worker` processes split as docker-compose splits the hub
 * (inbound + sweep, fan-out + targets); the Twenty and Supabase emulators with real signed
 * webhooks; a loopback receiver for KITH_ALERT_WEBHOOK_URL; Kith's canonical store on SQLite
 * or on a throwaway PostgreSQL database. Everything started is stopped by `close()`, which
 * never throws, also after a failure or an abort.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import pg from 'pg';
import type { Db } from '../../src/db/db.js';
import { openDb } from '../../src/db/open-db.js';
import { SqliteDb } from '../../src/db/sqlite-db.js';
import { buildHttpServer, type HttpServer } from '../../src/http/server.js';
import { openHub } from '../../src/app/open-hub.js';
import { hubHttpOptions } from '../../src/app/hub-http.js';
import type { Hub } from '../../src/hub/hub-context.js';
import { createLogger } from '../../src/log/logger.js';
import { allQueues } from '../../src/queues/queue-registry.js';
import { createRedis, type RedisClient } from '../../src/redis/connection.js';
import { freePort } from '../../src/redis/free-port.js';
import { startPostgres } from '../../tests/support/postgres-server.js';
import { startSupabaseEmulator, type SupabaseEmulator } from '../../tests/emulators/supabase/supabase-emulator.js';
import { startTwentyEmulator, type TwentyEmulator } from '../../tests/emulators/twenty/twenty-emulator.js';
import type { ChaosContext } from '../scenario.js';

const KITH_BIN = resolve(import.meta.dirname, '../../bin/kith.mjs');
const TWENTY_SECRET = 'chaos-twenty-webhook-secret';
const SUPABASE_SECRET = 'chaos-supabase-webhook-secret';
export const PREFIX = '{chaos}';
/** The job lock the worker processes run with: a dead worker's job is taken again after about this long. */
export const LOCK_MS = 4000;

/** As docker-compose splits the hub: changes in (and the sweep), and the writes to the targets. */
export const INBOUND_QUEUES = ['contacts-inbound', 'contacts-sweep'];
export const TARGET_QUEUES = ['contacts-fanout', 'contacts-to-supabase', 'contacts-to-twenty', 'contacts-to-local'];
export const CONTACT_QUEUES = allQueues().filter((q) => q.group === 'contacts').map((q) => q.name);

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((res, rej) => {
    if (signal?.aborted) return rej(new Error('aborted'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      res();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      rej(new Error('aborted: the scenario ran out of its time budget'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** A process this environment started: kill it, wait for it, read the tail of its output. */
export interface Proc {
  readonly name: string;
  child: ChildProcess;
  alive(): boolean;
  output(): string;
  /** What a worker logged about its job locks over its whole life (the output keeps only a tail). */
  readonly lockLog: { loopDelaysMs: number[]; stalls: number };
  kill(signal: NodeJS.Signals): Promise<void>;
}

function track(name: string, child: ChildProcess): Proc {
  let out = '';
  let partial = '';
  const lockLog = { loopDelaysMs: [] as number[], stalls: 0 };
  const keep = (d: Buffer) => {
    const text = d.toString();
    out += text;
    if (out.length > 40_000) out = out.slice(-20_000);
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const delay = /"eventLoopDelayMs":(\d+)/.exec(line);
      if (delay) lockLog.loopDelaysMs.push(Number(delay[1]));
      if (line.includes('job stalled:')) lockLog.stalls++;
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, 'exit').then(() => undefined);
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    name,
    child,
    alive,
    output: () => out,
    lockLog,
    async kill(signal) {
      if (!alive()) return;
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** redis-server on a loopback port with AOF (fsync every second), restartable on the same port and directory. */
export interface RedisProc {
  url: string;
  port: number;
  proc: Proc;
  restart(): Promise<void>;
}

async function startRedisServer(dir: string, port: number): Promise<Proc> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--daemonize', 'no', '--maxmemory-policy', 'noeviction'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const p = track(`redis-server :${port}`, child);
  for (let i = 0; i < 200; i++) {
    if (!p.alive()) throw new Error(`redis-server exited during start-up:\n${p.output()}`);
    const r = spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' });
    if (r.stdout?.trim() === 'PONG') return p;
    await sleep(50);
  }
  await p.kill('SIGKILL');
  throw new Error(`redis-server did not answer on port ${port}:\n${p.output()}`);
}

/** A loopback receiver for KITH_ALERT_WEBHOOK_URL that keeps every alert it got. */
async function startAlertSink() {
  const alerts: { at: number; kind: string; subject: string; state: string; text: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d));
    req.on('end', () => {
      try {
        const a = JSON.parse(body) as { kind: string; subject: string; state: string; text: string };
        alerts.push({ at: Date.now(), kind: a.kind, subject: a.subject, state: a.state, text: a.text });
      } catch {
        /* not an alert */
      }
      res.writeHead(204).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`,
    alerts,
    async stop() {
      server.closeAllConnections();
      server.close();
    },
  };
}

export interface ChaosHub {
  dir: string;
  env: Record<string, string>;
  db: Db;
  hub: Hub;
  http: HttpServer;
  baseUrl: string;
  redis: RedisProc;
  twenty: TwentyEmulator;
  supabase: SupabaseEmulator;
  alerts: Awaited<ReturnType<typeof startAlertSink>>['alerts'];
  /** The inbound worker (contacts-inbound, contacts-sweep) and the target worker (fan-out and contacts-to-*). */
  workers: { inbound: Proc | undefined; target: Proc | undefined };
  startWorker(kind: 'inbound' | 'target'): Promise<Proc>;
  queue(name: string): Queue;
  /** Jobs waiting, active, delayed or parked in the hub's queues, by queue (only those with any). */
  backlog(): Promise<Record<string, number>>;
  /** Jobs that failed for good in the hub's queues, by queue (only those with any). */
  failedJobs(): Promise<Record<string, number>>;
  /** Until no contact job is left and the emulators have sent every webhook (quiet three polls in a row). */
  settle(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface ChaosHubOptions {
  /** Extra environment for the worker processes and the in-process hub. */
  extraEnv?: Record<string, string>;
}

/** Start everything; on a failure part-way, what was started is stopped before the error is thrown. */
export async function startChaosHub(ctx: ChaosContext, opts: ChaosHubOptions = {}): Promise<ChaosHub> {
  const cleanup: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const c of cleanup.splice(0)) await Promise.resolve().then(c).catch(() => undefined);
  };
  try {
    return await build(ctx, opts, cleanup, close);
  } catch (err) {
    await close();
    throw err;
  }
}

async function build(ctx: ChaosContext, opts: ChaosHubOptions, cleanup: (() => Promise<void> | void)[], close: () => Promise<void>): Promise<ChaosHub> {
  const dir = mkdtempSync(join(tmpdir(), 'kith-chaos-hub-'));
  cleanup.unshift(() => rmSync(dir, { recursive: true, force: true }));

  // PostgreSQL: the runner's for the postgres engine; a throwaway server of our own otherwise (the Supabase emulator needs one).
  let pgUrl = ctx.postgresUrl;
  if (!pgUrl) {
    const server = await startPostgres();
    cleanup.unshift(() => server.stop());
    pgUrl = server.url;
  }
  let dbUrl = `sqlite:${join(dir, 'kith.db')}`;
  if (ctx.engine === 'postgres') {
    const name = `kith_chaos_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    cleanup.unshift(async () => {
      const a = new pg.Client({ connectionString: pgUrl });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    });
    const u = new URL(pgUrl);
    u.pathname = `/${name}`;
    dbUrl = u.toString();
  }

  const port = await freePort();
  const redisDir = join(dir, 'redis');
  spawnSync('mkdir', ['-p', redisDir]);
  const redis: RedisProc = { url: `redis://127.0.0.1:${port}`, port, proc: await startRedisServer(redisDir, port), restart: async () => void (redis.proc = await startRedisServer(redisDir, port)) };
  cleanup.unshift(() => redis.proc.kill('SIGKILL'));

  const db = await openDb(ctx.engine === 'postgres' ? { engine: 'postgres', url: dbUrl } : { engine: 'sqlite', path: dbUrl.slice('sqlite:'.length) });
  cleanup.unshift(() => db.close());
  if (db instanceof SqliteDb) db.checkpointInBackground();

  const twenty = await startTwentyEmulator({ maxLimit: 200 });
  cleanup.unshift(() => twenty.stop());
  const supabase = await startSupabaseEmulator({ postgresUrl: pgUrl });
  cleanup.unshift(() => supabase.stop());
  const sink = await startAlertSink();
  cleanup.unshift(() => sink.stop());

  const env: Record<string, string> = {
    REDIS_URL: redis.url,
    KITH_QUEUE_PREFIX: PREFIX,
    DATABASE_URL: dbUrl,
    KITH_LOG_LEVEL: 'warn',
    KITH_SHUTDOWN_GRACE_MS: '1000',
    KITH_JOB_LOCK_MS: String(LOCK_MS),
    TWENTY_API_URL: twenty.url,
    TWENTY_API_KEY: twenty.apiKey,
    TWENTY_WEBHOOK_SECRET: TWENTY_SECRET,
    TWENTY_RATE_LIMIT_PER_MINUTE: '6000',
    SUPABASE_URL: supabase.url,
    SUPABASE_KEY: supabase.key,
    SUPABASE_WEBHOOK_SECRET: SUPABASE_SECRET,
    KITH_ALERT_WEBHOOK_URL: sink.url,
    ...opts.extraEnv,
  };
  const quiet = createLogger('silent');
  const http = await buildHttpServer({ redisUrl: redis.url, prefix: PREFIX, db, queues: allQueues(), log: quiet, ...hubHttpOptions(db, env) });
  cleanup.unshift(() => http.close());
  const baseUrl = await http.app.listen({ host: '127.0.0.1', port: 0 });
  twenty.setWebhook(`${baseUrl}/webhooks/twenty`, TWENTY_SECRET);
  supabase.setWebhook(`${baseUrl}/webhooks/supabase`, SUPABASE_SECRET);
  const hub = await openHub({ db, redisUrl: redis.url, prefix: PREFIX, log: quiet, env });
  cleanup.unshift(() => hub.close());

  const conn: RedisClient = createRedis(redis.url, { name: 'kith-chaos-driver' });
  const queues = new Map<string, Queue>();
  cleanup.unshift(async () => {
    for (const q of queues.values()) await q.close().catch(() => undefined);
    conn.disconnect();
  });
  const queue = (name: string) => {
    let q = queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: conn, prefix: PREFIX });
      // While Redis is down its calls fail and are retried by the pollers; no stack trace for each reconnect.
      q.on('error', () => undefined);
      queues.set(name, q);
    }
    return q;
  };

  const workers: ChaosHub['workers'] = { inbound: undefined, target: undefined };
  cleanup.unshift(async () => {
    await Promise.all(Object.values(workers).map((w) => w?.kill('SIGTERM')));
  });
  const startWorker = async (kind: 'inbound' | 'target'): Promise<Proc> => {
    const queuesOf = kind === 'inbound' ? INBOUND_QUEUES : TARGET_QUEUES;
    const child = spawn(process.execPath, [KITH_BIN, 'worker', '--queues', queuesOf.join(',')], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, METADATA_SERVER_DETECTION: 'none', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const p = track(`${kind} worker`, child);
    workers[kind] = p;
    for (let i = 0; i < 600; i++) {
      if (p.output().includes('kith worker: serving')) return p;
      if (!p.alive()) throw new Error(`the ${kind} worker exited during start-up:\n${p.output()}`);
      if (ctx.signal.aborted) break;
      await sleep(50);
    }
    await p.kill('SIGKILL');
    throw new Error(`the ${kind} worker was not serving within 30 s:\n${p.output()}`);
  };

  const counts = async (states: ('waiting' | 'active' | 'delayed' | 'waiting-children' | 'prioritized' | 'failed')[]) => {
    const out: Record<string, number> = {};
    for (const name of CONTACT_QUEUES) {
      const c = await queue(name).getJobCounts(...states);
      const n = Object.values(c).reduce((a, b) => a + b, 0);
      if (n) out[name] = n;
    }
    return out;
  };

  return {
    dir,
    env,
    db,
    hub,
    http,
    baseUrl,
    redis,
    twenty,
    supabase,
    alerts: sink.alerts,
    workers,
    startWorker,
    queue,
    backlog: () => counts(['waiting', 'active', 'delayed', 'waiting-children', 'prioritized']),
    failedJobs: () => counts(['failed']),
    async settle(timeoutMs) {
      const end = Date.now() + timeoutMs;
      let quietPolls = 0;
      let last: Record<string, number> = {};
      while (Date.now() < end) {
        await twenty.flushWebhooks();
        await supabase.flushWebhooks();
        last = await counts(['waiting', 'active', 'delayed', 'waiting-children', 'prioritized']);
        quietPolls = Object.keys(last).length === 0 ? quietPolls + 1 : 0;
        if (quietPolls >= 3) return;
        await sleep(100, ctx.signal);
      }
      throw new Error(`the hub's jobs did not settle within ${Math.round(timeoutMs / 1000)} s (left: ${JSON.stringify(last)})`);
    },
    close,
  };
}
