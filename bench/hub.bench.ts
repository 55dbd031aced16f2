/**
 * `npm run bench -- hub --rate 200 --seconds 20`: the contact hub end to end on loopback.
 * Kith HTTP server in this process, two real `kith worker` processes, Twenty and Supabase
 * emulators, local canonical store (SQLite, or PostgreSQL with --db postgres), an embedded Redis and a throwaway PostgreSQL for
 * the Supabase emulator. Measures:
 *   1. sync_all_contacts for 10,000 canonical contacts → Supabase + Twenty (until the outbox is empty);
 *   2. signed Twenty webhooks at --rate, first for --warmup seconds (reported apart), then for
 *      --seconds (each an edit of a different person), latency from sending the webhook to the
 *      moment the fan-out's last job finished (every target written; the time its worker reports,
 *      read back from Redis);
 *   3. a bare BullMQ job round trip in the same run, for comparison;
 * and the machine's busy CPU per webhook over phase 2, the warm-up's apart (every process; the
 * machine should be otherwise idle).
 * Twenty's client-side limiter is raised for the emulator (TWENTY_RATE_LIMIT_PER_MINUTE, reported);
 * against real Twenty it stays at 100/minute. Progress on stderr, one JSON line last on stdout.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue, QueueEvents, Worker } from 'bullmq';
import pg from 'pg';
import { Pool } from 'undici';
import { randomUUID } from 'node:crypto';
import type { CanonicalContact } from '../src/hub/domain/canonical-contact.js';
import { pendingByTarget } from '../src/hub/stores/contact-outbox.store.js';
import { openDb } from '../src/db/open-db.js';
import { SqliteDb } from '../src/db/sqlite-db.js';
import { buildHttpServer } from '../src/http/server.js';
import { openHub } from '../src/app/open-hub.js';
import { hubHttpOptions } from '../src/app/hub-http.js';
import { syncAllContacts } from '../src/hub/services/sweep.service.js';
import { createLogger } from '../src/log/logger.js';
import { allQueues } from '../src/queues/queue-registry.js';
import { workerNodeFlags } from '../src/config/worker.config.js';
import { createRedis } from '../src/redis/connection.js';
import { startEmbeddedRedis } from '../src/redis/embedded-redis.js';
import { writeContacts } from '../src/systems/local/contacts-table.js';
import { startPostgres } from '../tests/support/postgres-server.js';
import { startSupabaseEmulator } from '../tests/emulators/supabase/supabase-emulator.js';
import { startTwentyEmulator } from '../tests/emulators/twenty/twenty-emulator.js';

const KITH_BIN = resolve(import.meta.dirname, '../bin/kith.mjs');
const SECRET = 'bench-twenty-webhook-secret';
const SB_SECRET = 'bench-supabase-webhook-secret';
const CONTACTS = 10_000;
const TWENTY_LIMIT = 10_000;
const log = (m: string) => process.stderr.write(`[hub bench] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Busy CPU time of the whole machine so far (ms, all cores; /proc/stat), or NaN off Linux. */
function machineBusyMs(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait; USER_HZ is 100.
    return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!) * 10;
  } catch {
    return NaN;
  }
}

/** CPU ms per process so far (utime + stime of every process in /proc), keyed "pid name". */
function processCpuMs(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
        const queues = cmd.indexOf('--queues');
        const name = queues >= 0 ? `worker ${cmd[queues + 1]}` : Number(pid) === process.pid ? 'bench (Kith HTTP, emulators, driver)' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        out.set(`${pid} ${name}`, (Number(fields[11]) + Number(fields[12])) * 10);
      } catch {
        // the process exited meanwhile
      }
    }
  } catch {
    // not Linux
  }
  return out;
}

/** Where the CPU of a phase went, by process name: ms per webhook, largest first. */
function cpuBreakdown(before: Map<string, number>, after: Map<string, number>, n: number): Record<string, number> {
  // Matched by pid: a kernel worker thread's name says what it is doing at the moment, so the
  // same thread may carry another name in each snapshot (matched by name, its whole lifetime's
  // CPU was counted).
  const pidOf = (key: string) => key.slice(0, key.indexOf(' '));
  const earlier = new Map([...before].map(([key, ms]) => [pidOf(key), ms]));
  const byName: Record<string, number> = {};
  for (const [key, ms] of after) {
    const d = ms - (earlier.get(pidOf(key)) ?? 0);
    if (d <= 0) continue;
    const name = key.slice(key.indexOf(' ') + 1);
    byName[name] = (byName[name] ?? 0) + d;
  }
  return Object.fromEntries(Object.entries(byName).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Math.round((v / n) * 100) / 100]));
}

/** Calls per Redis command so far (INFO commandstats; scripts show up as evalsha). */
async function commandStats(conn: { info(section: string): Promise<string> }): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const m of (await conn.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

/**
 * The stages of the edits' journeys from BullMQ's own job timestamps (ms, p50/p95 over up to
 * 1,000 of them): route (sent → inbound job added), inbound wait and run, fan-out wait (inbound
 * run ended → target child started; slightly negative when the child starts before the inbound
 * job is marked finished), target child run, parent (child done → parent done), and the whole
 * journey (sent → the last job's finishedOn), a cross-check of the headline figure.
 */
async function latencyStages(queues: Queue[], sentAt: ReadonlyMap<string, number>): Promise<Record<string, { p50: number; p95: number; p99: number }>> {
  const q = (name: string) => queues.find((x) => x.name === name)!;
  const inbound = (await q('contacts-inbound').getJobs(['completed'], 0, 999)).filter((j) => j.data?.system === 'twenty');
  const parents = await q('contacts-fanout').getJobs(['completed'], 0, 999);
  const children = new Map((await q('contacts-to-supabase').getJobs(['completed'], 0, 1999)).map((j) => [j.id, j]));
  const s: Record<string, number[]> = { route: [], inbound_wait: [], inbound_run: [], fanout_wait: [], target_run: [], parent: [], sent_to_done: [] };
  const inboundEnd = new Map<string, number>();
  for (const j of inbound) {
    const sent = sentAt.get(j.data.externalId);
    if (sent === undefined || !j.processedOn || !j.finishedOn) continue;
    s.route!.push(j.timestamp - sent);
    s.inbound_wait!.push(j.processedOn - j.timestamp);
    s.inbound_run!.push(j.finishedOn - j.processedOn);
    inboundEnd.set(j.data.externalId, j.finishedOn);
  }
  // A fan-out to one target has no parent: its data carries the summary, and "parent" is 0.
  const fanouts = [
    ...parents.map((p) => ({ data: p.data as { origin?: string; ids?: string[] }, child: children.get(`${p.id}.supabase`), finishedOn: p.finishedOn })),
    ...[...children.values()].filter((c) => c.data?.summary).map((c) => ({ data: c.data.summary as { origin?: string; ids?: string[] }, child: c, finishedOn: c.finishedOn })),
  ];
  let batches = 0;
  let carried = 0;
  for (const { data, child, finishedOn } of fanouts) {
    if (data?.origin !== 'twenty-edit' || !finishedOn) continue;
    batches++;
    carried += data.ids?.length ?? 0;
    if (!child?.processedOn || !child.finishedOn) continue;
    for (const id of data.ids ?? []) {
      const end = inboundEnd.get(id);
      if (end !== undefined) s.fanout_wait!.push(child.processedOn - end);
      const sent = sentAt.get(id);
      if (sent !== undefined) s.sent_to_done!.push(finishedOn - sent);
    }
    s.target_run!.push(child.finishedOn - child.processedOn);
    s.parent!.push(finishedOn - child.finishedOn);
  }
  if (batches) process.stderr.write(`[hub bench] fan-outs: ${batches} carried ${carried} edits (${(carried / batches).toFixed(2)} per fan-out)\n`);
  return Object.fromEntries(Object.entries(s).map(([k, v]) => { const r = pct(v); return [k, { p50: r.p50, p95: r.p95, p99: r.p99 }]; }));
}

function pct(values: number[]): { p50: number; p95: number; p99: number } {
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) => (s.length ? Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! * 100) / 100 : NaN);
  return { p50: at(50), p95: at(95), p99: at(99) };
}

function contact(i: number): CanonicalContact {
  return {
    contact_id: randomUUID(), canonical_name: `Bench Person ${i}`, first_name: 'Bench', last_name: `Person ${i}`,
    emails: [`bench${i}@example.org`], phones: [], company: null, job_title: 'Start', category_code: null,
    subcategory_code: null, notes: null, llm_context: null, deleted_at: null,
    sync_metadata: { version: 1, last_updated: '2026-01-27T10:00:00.000Z', last_updated_by: 'kith' },
  };
}

function spawnWorker(env: NodeJS.ProcessEnv, queues: string[], nodeArgs: string[] = []): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...nodeArgs, KITH_BIN, 'worker', '--queues', queues.join(',')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`worker not ready:\n${err}`)), 30_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d;
      if (err.includes('kith worker: serving')) {
        clearTimeout(t);
        res(child);
      }
    });
    child.on('exit', (code) => rej(new Error(`worker exited ${code}:\n${err}`)));
  });
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { rate: { type: 'string', default: '200' }, seconds: { type: 'string', default: '20' }, db: { type: 'string', default: 'sqlite' }, 'cpu-prof': { type: 'string' }, series: { type: 'boolean' }, warmup: { type: 'string', default: '10' }, help: { type: 'boolean' } } });
  if (values.help) {
    console.error('usage: npm run bench -- hub [--rate 200] [--seconds 20] [--db sqlite|postgres] [--warmup 10] (seconds at the same rate before measuring, reported apart) [--cpu-prof <dir>] (CPU profiles of the worker processes) [--series] (latency and CPU per second of the measured sending, on stderr)');
    return;
  }
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const warmup = Number(values.warmup);
  if (!(rate > 0 && rate <= 2000) || !(seconds > 0 && seconds <= 300)) throw new Error('--rate must be 1–2000 and --seconds 1–300');
  if (!(warmup >= 0 && warmup <= 300)) throw new Error('--warmup must be 0–300 (seconds)');
  const cleanup: (() => Promise<void> | void)[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'kith-hub-bench-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  try {
    const redis = await startEmbeddedRedis({ dir: join(dir, 'redis'), extraArgs: ['--save', '', '--appendonly', 'no'], supervise: false });
    cleanup.unshift(() => redis.stop());
    const pgServer = await startPostgres();
    cleanup.unshift(() => pgServer.stop());
    // Kith's own database: SQLite (default) or PostgreSQL (--db postgres).
    let dbUrl = `sqlite:${join(dir, 'kith.db')}`;
    if (values.db === 'postgres') {
      const admin = new pg.Client({ connectionString: pgServer.url });
      await admin.connect();
      await admin.query('CREATE DATABASE kith_bench');
      await admin.end();
      dbUrl = pgServer.url.replace(/\/[^/]*$/, '/kith_bench');
    }
    const db = await openDb(values.db === 'postgres' ? { engine: 'postgres', url: dbUrl } : { engine: 'sqlite', path: dbUrl.slice('sqlite:'.length) });
    cleanup.unshift(() => db.close());
    // As `kith start` does for its HTTP server: the log is checkpointed off the event loop.
    if (db instanceof SqliteDb) db.checkpointInBackground();
    const twenty = await startTwentyEmulator({ maxLimit: 200 });
    cleanup.unshift(() => twenty.stop());
    const supabase = await startSupabaseEmulator({ postgresUrl: pgServer.url });
    cleanup.unshift(() => supabase.stop());
    const prefix = '{bench}';
    const env: Record<string, string> = {
      REDIS_URL: redis.url, KITH_QUEUE_PREFIX: prefix, DATABASE_URL: dbUrl, KITH_LOG_LEVEL: 'error', KITH_SHUTDOWN_GRACE_MS: '1000',
      TWENTY_API_URL: twenty.url, TWENTY_API_KEY: twenty.apiKey, TWENTY_WEBHOOK_SECRET: SECRET, TWENTY_RATE_LIMIT_PER_MINUTE: String(TWENTY_LIMIT),
      SUPABASE_URL: supabase.url, SUPABASE_KEY: supabase.key, SUPABASE_WEBHOOK_SECRET: SB_SECRET, KITH_CONTACTS_PAGE_SIZE: '500',
    };
    const quiet = createLogger('error');
    const http = await buildHttpServer({ redisUrl: redis.url, prefix, db, queues: allQueues(), log: quiet, ...hubHttpOptions(db, env) });
    cleanup.unshift(() => http.close());
    const base = await http.app.listen({ host: '127.0.0.1', port: 0 });
    supabase.setWebhook(`${base}/webhooks/supabase`, SB_SECRET);
    const workerEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, METADATA_SERVER_DETECTION: 'none', ...env };
    // The flags `kith start` gives its worker processes (heap limits), then profiling if asked.
    const nodeArgs = [...workerNodeFlags(env), ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${resolve(values['cpu-prof'])}`] : [])];
    const workers = await Promise.all([
      spawnWorker(workerEnv, ['contacts-inbound', 'contacts-sweep', 'contacts-to-twenty'], nodeArgs),
      spawnWorker(workerEnv, ['contacts-fanout', 'contacts-to-supabase', 'contacts-to-local'], nodeArgs),
    ]);
    cleanup.unshift(async () => {
      // Stop the workers before Redis and the databases go away; a backlog is abandoned after 3 s.
      await Promise.all(
        workers.map(async (w) => {
          if (w.exitCode !== null || w.signalCode !== null) return;
          const exited = new Promise((r) => w.once('exit', r));
          w.kill('SIGTERM');
          // Profiled workers need time to write their profile.
          const t = setTimeout(() => w.kill('SIGKILL'), nodeArgs.length ? 30_000 : 3000);
          await exited;
          clearTimeout(t);
        }),
      );
    });
    const hub = await openHub({ db, redisUrl: redis.url, prefix, log: quiet, env });
    cleanup.unshift(() => hub.close());
    log(`ready: Kith ${base}, Twenty ${twenty.url}, Supabase ${supabase.url}, 2 worker processes`);

    // 1. sync_all_contacts for 10,000 contacts.
    const seeded: CanonicalContact[] = Array.from({ length: CONTACTS }, (_, i) => contact(i));
    for (let i = 0; i < CONTACTS; i += 1000) await db.tx((q) => writeContacts(q, seeded.slice(i, i + 1000), Date.now()));
    log(`seeded ${CONTACTS} canonical contacts; running sync_all_contacts`);
    const syncCpuBefore = processCpuMs();
    const t0 = performance.now();
    await syncAllContacts(hub);
    const doneAt: Record<string, number> = {};
    for (let i = 0; ; i++) {
      const pending = await pendingByTarget(db);
      for (const t of hub.systems.targets.keys()) if (!pending[t] && doneAt[t] === undefined) doneAt[t] = Math.round(performance.now() - t0);
      if (!Object.keys(pending).length) break;
      if (i > 6000) throw new Error('sync_all_contacts did not finish in 10 minutes');
      await sleep(20);
    }
    log(`per target done after (ms): ${JSON.stringify(doneAt)}`);
    const syncMs = performance.now() - t0;
    log(`sync_all_contacts CPU ms per contact by process: ${JSON.stringify(cpuBreakdown(syncCpuBefore, processCpuMs(), CONTACTS))}`);
    log(`sync_all_contacts: ${CONTACTS} contacts to ${[...hub.systems.targets.keys()].join(', ')} in ${Math.round(syncMs)} ms`);
    await supabase.flushWebhooks();
    // Let the echo webhooks of that sync drain before measuring latency.
    const conn = createRedis(redis.url, { name: 'bench' });
    cleanup.unshift(() => conn.quit().then(() => undefined));
    const hubQueues = allQueues().filter((x) => x.group === 'contacts').map((x) => new Queue(x.name, { connection: conn, prefix }));
    cleanup.unshift(async () => void (await Promise.all(hubQueues.map((x) => x.close()))));
    const drainStart = performance.now();
    for (let quiet = 0, i = 0; quiet < 25 && i < 30_000; i++) {
      const counts = await Promise.all(hubQueues.map((x) => x.getJobCounts('waiting', 'active', 'delayed', 'waiting-children')));
      quiet = counts.every((c) => Object.values(c).every((n) => n === 0)) ? quiet + 1 : 0;
      await sleep(40);
    }
    const inboundJobs = await hubQueues.find((x) => x.name === 'contacts-inbound')!.getJobCounts('completed', 'failed');
    log(`echo webhooks of the sync drained in ${Math.round(performance.now() - drainStart)} ms; ${inboundJobs.completed + inboundJobs.failed} of them reached the inbound queue (the rest were recognised at the route)`);

    // 2. Signed Twenty webhooks at the given rate.
    // When each edit was sent (kept for the stages below), and which have reached every target.
    const sent = new Map<string, number>();
    const arrived = new Set<string>();
    const latencies: number[] = [];
    const warmups = new Set<string>();
    const warmupLatencies: number[] = [];
    const series: [number, number][] = [];
    // A fan-out ends with its parent, or — when only one target lacked the change — with that
    // target's job. Their completions are read from Redis every 250 ms (a poll of each queue's
    // completed set, then the new jobs' return values in one pipeline) rather than through
    // QueueEvents, whose stream of every job's every state change costs this process and Redis
    // CPU that the system under test would otherwise have; the latency ends at the finish time
    // the job's worker reports, so polling adds nothing to it.
    const onCompleted = (returnvalue: string | null) => {
      const r = (returnvalue ? JSON.parse(returnvalue) : null) as { first?: { contactId: string }; ids?: string[]; origin?: string; finishedAt?: number } | null;
      if (r?.origin !== 'twenty-edit' || r.finishedAt === undefined) return;
      // A batched fan-out lists every contact it carried; each one's latency ends here.
      for (const id of r.ids ?? (r.first ? [r.first.contactId] : [])) {
        const start = sent.get(id);
        // (A fan-out that finished before this edit was sent belongs to an earlier edit of the contact.)
        if (start === undefined || arrived.has(id) || r.finishedAt < start) continue;
        (warmups.has(id) ? warmupLatencies : latencies).push(r.finishedAt - start);
        if (values.series && !warmups.has(id)) series.push([start, r.finishedAt - start]);
        arrived.add(id);
      }
    };
    const pollConn = createRedis(redis.url, { name: 'bench-completions' });
    cleanup.unshift(async () => pollConn.disconnect());
    const polled = new Map<string, { since: number; seen: Set<string> }>(['contacts-fanout', 'contacts-to-supabase'].map((name) => [name, { since: Date.now(), seen: new Set() }]));
    const pollCompletions = async () => {
      for (const [name, st] of polled) {
        const flat = (await pollConn.zrangebyscore(`${prefix}:${name}:completed`, st.since, '+inf', 'WITHSCORES')) as string[];
        const ids: string[] = [];
        for (let i = 0; i < flat.length; i += 2) {
          if (!st.seen.has(flat[i]!)) ids.push(flat[i]!);
          st.since = Math.max(st.since, Number(flat[i + 1]));
        }
        if (!ids.length) continue;
        const p = pollConn.pipeline();
        for (const id of ids) p.hget(`${prefix}:${name}:${id}`, 'returnvalue');
        const res = (await p.exec()) ?? [];
        res.forEach(([, v], i) => {
          st.seen.add(ids[i]!);
          onCompleted(v as string | null);
        });
      }
    };
    let polling = true;
    const poller = (async () => {
      while (polling) {
        await pollCompletions().catch((err: Error) => log(`polling completions failed: ${err.message}`));
        await sleep(250);
      }
    })();
    cleanup.unshift(async () => {
      polling = false;
      await poller;
    });
    const pool = new Pool(base, { connections: 32 });
    cleanup.unshift(() => pool.close());
    const total = Math.round(rate * seconds);
    const warm = Math.round(rate * warmup);
    let statusErrors = 0;
    let warmupErrors = 0;
    const inflight: Promise<void>[] = [];
    // Measured from the first webhook after the warm-up (set when it is sent).
    let busyBefore = NaN;
    let procBefore = new Map<string, number>();
    let redisBefore: Record<string, number> = {};
    // --series: the machine's busy CPU in each second of sending.
    const cpuSeries: number[] = [];
    let lastBusy = NaN;
    const procSeries: Record<string, number>[] = [];
    let lastProc = new Map<string, number>();
    let cpuTimer: NodeJS.Timeout | undefined;
    cleanup.unshift(() => clearInterval(cpuTimer));
    // The warm-up's own CPU (machine and by process): V8 is still compiling the webhook paths then.
    const warmBusyBefore = machineBusyMs();
    const warmProcBefore = processCpuMs();
    let warmupCpuPerWebhook = NaN;
    const started = performance.now();
    let measuredFrom = started;
    for (let i = 0; i < warm + total; i++) {
      const wait = started + (i * 1000) / rate - performance.now();
      if (wait > 0) await sleep(wait);
      if (i === warm) {
        if (warm) log(`warm-up: ${warm} webhooks sent in ${warmup} s; measuring from here`);
        measuredFrom = performance.now();
        busyBefore = lastBusy = machineBusyMs();
        procBefore = lastProc = processCpuMs();
        if (warm) {
          warmupCpuPerWebhook = (busyBefore - warmBusyBefore) / warm;
          log(`warm-up CPU ms per webhook by process: ${JSON.stringify(cpuBreakdown(warmProcBefore, procBefore, warm))}`);
        }
        redisBefore = await commandStats(conn);
        if (values.series) {
          cpuTimer = setInterval(() => {
            const b = machineBusyMs();
            cpuSeries.push(Math.round(b - lastBusy));
            lastBusy = b;
            const p = processCpuMs();
            procSeries.push(cpuBreakdown(lastProc, p, 1));
            lastProc = p;
          }, 1000);
        }
      }
      const c = seeded[i % CONTACTS]!;
      const record = twenty.editPerson(c.contact_id, { jobTitle: `Title ${i}` });
      const body = JSON.stringify({
        targetUrl: `${base}/webhooks/twenty`, eventName: 'person.updated', objectMetadata: { id: 'obj-person', nameSingular: 'person' },
        workspaceId: 'ws-bench', webhookId: 'wh-bench', eventDate: new Date().toISOString(), record, updatedFields: ['jobTitle'],
      });
      const ts = String(Date.now());
      sent.set(c.contact_id, Date.now());
      arrived.delete(c.contact_id); // a contact edited again (runs past 10,000 webhooks) is timed again
      const warming = i < warm;
      if (warming) warmups.add(c.contact_id);
      else warmups.delete(c.contact_id);
      inflight.push(
        pool
          .request({
            method: 'POST', path: '/webhooks/twenty',
            headers: { 'content-type': 'application/json', 'x-twenty-webhook-timestamp': ts, 'x-twenty-webhook-nonce': randomBytes(16).toString('hex'), 'x-twenty-webhook-signature': createHmac('sha256', SECRET).update(`${ts}:${body}`).digest('hex') },
            body,
          })
          .then(async (res) => {
            await res.body.dump();
            if (res.statusCode !== 202) {
              if (warming) warmupErrors++;
              else statusErrors++;
            }
          }),
      );
    }
    await Promise.all(inflight);
    clearInterval(cpuTimer);
    const sendSeconds = (performance.now() - measuredFrom) / 1000;
    for (let i = 0; i < 1500 && (latencies.length < total - statusErrors || warmupLatencies.length < warm - warmupErrors); i++) await sleep(20);
    // CPU the whole pipeline spent per webhook (Kith, workers, emulators, Redis, PostgreSQL, this driver).
    const cpuPerWebhook = (machineBusyMs() - busyBefore) / total;
    log(`CPU ms per webhook by process: ${JSON.stringify(cpuBreakdown(procBefore, processCpuMs(), total))}`);
    const redisAfter = await commandStats(conn);
    const calls = Object.entries(redisAfter).map(([k, v]) => [k, Math.round(((v - (redisBefore[k] ?? 0)) / total) * 10) / 10] as const).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
    log(`Redis calls per webhook: ${calls.reduce((n, [, v]) => n + v, 0).toFixed(1)} ${JSON.stringify(Object.fromEntries(calls.slice(0, 40)))}`);
    log(`webhooks: ${total} sent in ${sendSeconds.toFixed(1)} s after the warm-up, ${latencies.length} reached every target, ${statusErrors} non-202 (warm-up: ${warmupLatencies.length} of ${warm} reached every target, ${warmupErrors} non-202)`);

    if (values.series) {
      const t0s = Math.min(...series.map((x) => x[0]));
      const by: number[][] = [];
      for (const [t, l] of series) (by[Math.floor((t - t0s) / 1000)] ??= []).push(l);
      log(`machine CPU ms per second: ${cpuSeries.join(' ')}`);
      const short = (k: string) => (k.startsWith('bench') ? 'bench' : k.startsWith('worker contacts-inbound') ? 'inbound worker' : k.startsWith('worker contacts-fanout') ? 'push worker' : k.replace(/-server$/, ''));
      for (const name of Object.keys(procSeries[0] ?? {}).filter((k) => /^(bench|worker|postgres|redis)/.test(k))) log(`  ${short(name)}: ${procSeries.map((x) => Math.round(x[name] ?? 0)).join(' ')}`);
      log(`latency per second of sending, max/p95 ms: ${by.map((v) => { const r = pct(v); return `${Math.max(...v)}/${r.p95}`; }).join(' ')}`);
    }
    const stages = await latencyStages(hubQueues, sent);
    log(`where a webhook's latency goes, p50 / p95 ms: ${Object.entries(stages).map(([k, v]) => `${k} ${v.p50} / ${v.p95}`).join('; ')}`);

    // 3. A bare BullMQ round trip in the same Redis, for comparison.
    const rtt: number[] = [];
    const q = new Queue('bench-rtt', { connection: conn, prefix });
    const rttConns = [createRedis(redis.url, { name: 'bench-rtt' }), createRedis(redis.url, { name: 'bench-rtt-ev' })];
    cleanup.unshift(() => rttConns.forEach((c) => c.disconnect()));
    const w = new Worker('bench-rtt', async () => 1, { connection: rttConns[0]!, prefix, concurrency: 1 });
    const rttEvents = new QueueEvents('bench-rtt', { connection: rttConns[1]!, prefix });
    await rttEvents.waitUntilReady();
    for (let i = 0; i < 300; i++) {
      const s = performance.now();
      const job = await q.add('noop', {});
      await job.waitUntilFinished(rttEvents, 5000);
      rtt.push(performance.now() - s);
    }
    await w.close();
    await rttEvents.close();
    await q.close();

    const result = {
      bench: 'hub',
      database: db.engine,
      rate,
      seconds,
      webhooks_sent: total,
      webhooks_reached_all_targets: latencies.length,
      webhook_errors: statusErrors,
      webhook_to_all_targets_ms: pct(latencies),
      warmup_seconds: warmup,
      warmup_webhooks: warm,
      warmup_webhook_errors: warmupErrors,
      warmup_webhook_to_all_targets_ms: pct(warmupLatencies),
      machine_cpu_ms_per_webhook: Math.round(cpuPerWebhook * 100) / 100,
      warmup_machine_cpu_ms_per_webhook: Number.isNaN(warmupCpuPerWebhook) ? null : Math.round(warmupCpuPerWebhook * 100) / 100,
      targets: [...hub.systems.targets.keys()],
      canonical: hub.systems.canonicalName,
      sync_all_contacts: CONTACTS,
      sync_all_contacts_ms: Math.round(syncMs),
      sync_all_contacts_per_s: Math.round(CONTACTS / (syncMs / 1000)),
      bullmq_round_trip_ms: pct(rtt),
      stages_ms: stages,
      twenty_rate_limit_per_minute: TWENTY_LIMIT,
      note: 'Twenty limiter raised for the loopback emulator; real Twenty stays at 100/minute',
    };
    console.log(JSON.stringify(result));
  } finally {
    for (const c of cleanup) await Promise.resolve(c()).catch(() => undefined);
  }
}
