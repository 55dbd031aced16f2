import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import type { CanonicalContact } from '../../../src/hub/domain/canonical-contact.js';
import { createRedis } from '../../../src/redis/connection.js';
import { buildHttpServer, type HttpServer } from '../../../src/http/server.js';
import { openHub } from '../../../src/app/open-hub.js';
import type { Hub } from '../../../src/hub/hub-context.js';
import { hubHttpOptions } from '../../../src/app/hub-http.js';
import { allQueues } from '../../../src/queues/queue-registry.js';
import { startBigQueryEmulator, type BigQueryEmulator } from '../../emulators/bigquery/bigquery-emulator.js';
import { startSupabaseEmulator, type SupabaseEmulator } from '../../emulators/supabase/supabase-emulator.js';
import { startTwentyEmulator, type TwentyEmulator } from '../../emulators/twenty/twenty-emulator.js';
import { type NotionEmulator, startNotionEmulator } from '../../emulators/notion/notion-emulator.js';
import { type PeopleEmulator, startPeopleEmulator } from '../../emulators/google/people/people-emulator.js';
import { NOTION_CONTACTS_SCHEMA } from '../systems/notion/notion-contacts.js';
import { cliEnv, KITH_BIN } from '../cli.js';
import { cleanupRedis, type Engine, freshDb, postgresUrl, redisUrl, type TestDb, testLog, uniquePrefix } from '../test-env.js';

export const TWENTY_SECRET = 'twenty-webhook-secret-for-tests';
export const SUPABASE_SECRET = 'supabase-webhook-secret-for-tests';
const BQ_TOKEN = 'bq-test-token';

export const CONTACT_QUEUE_NAMES = allQueues().filter((q) => q.group === 'contacts').map((q) => q.name);

export interface WorkerProc {
  child: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** A real `kith worker` process serving the hub's queues. */
export async function spawnWorker(env: Record<string, string>, queues = CONTACT_QUEUE_NAMES): Promise<WorkerProc> {
  const child = spawn(process.execPath, [KITH_BIN, 'worker', '--queues', queues.join(',')], { env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (out += d));
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`worker not ready in 20 s:\n${out}`)), 20_000);
    child.stderr!.on('data', () => {
      if (out.includes('kith worker: serving')) {
        clearTimeout(t);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`worker exited with ${code}:\n${out}`));
    });
  });
  return {
    child,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** A loopback receiver for KITH_ALERT_WEBHOOK_URL. */
export async function startAlertSink(): Promise<{ url: string; alerts: Record<string, unknown>[]; stop(): Promise<void> }> {
  const alerts: Record<string, unknown>[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d));
    req.on('end', () => {
      alerts.push(JSON.parse(body) as Record<string, unknown>);
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

export interface HubEnv {
  env: Record<string, string>;
  db: TestDb;
  prefix: string;
  twenty: TwentyEmulator;
  supabase: SupabaseEmulator;
  bigquery?: BigQueryEmulator;
  /** With `notion: true`: the Notion emulator and its contacts data source (a hub system). */
  notion?: { emu: NotionEmulator; contacts: string };
  /** With `google: true`: the People emulator holding the account's Google contacts (a hub system). */
  google?: PeopleEmulator;
  /**
   * The emulators' one clock, also the in-process hub's: `await h.clock.advance(ms)` makes the
   * next change in any system later than the last. Worker processes keep real time.
   */
  clock: TwentyEmulator['clock'];
  http: HttpServer;
  baseUrl: string;
  /** The hub as the test process sees it (reads of the canonical store, links …). */
  hub: Hub;
  alertSink: Awaited<ReturnType<typeof startAlertSink>>;
  workers: WorkerProc[];
  queue(name: string): Queue;
  /** Wait until no contact job is waiting, active, delayed or parked, and the emulators sent every webhook. */
  settle(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface HubEnvOptions {
  canonical?: 'local' | 'bigquery';
  engine?: Engine;
  workers?: number;
  extraEnv?: Record<string, string>;
  /** Another Redis than the test run's (a Redis Cluster's `redis-cluster://` URL); its keys are left to its owner. */
  redisUrl?: string;
  /** Notion as a contact system too (a contacts data source in a Notion emulator on the same clock). */
  notion?: boolean;
  /** Google Contacts as a contact system too (a People emulator on the same clock). */
  google?: boolean;
  /** Custom text fields of the emulated Twenty workspace's people. */
  twentyCustomFields?: string[];
}

export async function startHubEnv(o: HubEnvOptions = {}): Promise<HubEnv> {
  const prefix = uniquePrefix();
  const redis = o.redisUrl ?? redisUrl();
  const db = await freshDb(o.engine ?? 'sqlite');
  const twenty = await startTwentyEmulator({ customPersonFields: o.twentyCustomFields });
  const clock = twenty.clock;
  const supabase = await startSupabaseEmulator({ postgresUrl: postgresUrl(), clock });
  const bigquery = o.canonical === 'bigquery' ? await startBigQueryEmulator({ token: BQ_TOKEN, clock }) : undefined;
  const notionEmu = o.notion ? await startNotionEmulator({ clock, rateLimit: false }) : undefined;
  const notion = notionEmu ? { emu: notionEmu, contacts: notionEmu.createDataSource('Contacts', NOTION_CONTACTS_SCHEMA) } : undefined;
  const google = o.google ? await startPeopleEmulator({ now: () => clock.now() }) : undefined;
  const alertSink = await startAlertSink();
  const env: Record<string, string> = {
    REDIS_URL: redis,
    KITH_QUEUE_PREFIX: prefix,
    DATABASE_URL: db.url,
    KITH_LOG_LEVEL: 'warn',
    TWENTY_API_URL: twenty.url,
    TWENTY_API_KEY: twenty.apiKey,
    TWENTY_WEBHOOK_SECRET: TWENTY_SECRET,
    TWENTY_RATE_LIMIT_PER_MINUTE: '10000',
    SUPABASE_URL: supabase.url,
    SUPABASE_KEY: supabase.key,
    SUPABASE_WEBHOOK_SECRET: SUPABASE_SECRET,
    KITH_ALERT_WEBHOOK_URL: alertSink.url,
    ...(bigquery ? { BIGQUERY_PROJECT_ID: bigquery.projectId, BIGQUERY_API_ENDPOINT: bigquery.url, BIGQUERY_ACCESS_TOKEN: BQ_TOKEN, BIGQUERY_MAX_RETRIES: '0' } : {}),
    ...(google ? { GOOGLE_CONTACTS_HUB: 'true', GOOGLE_PEOPLE_API_URL: google.url, GOOGLE_ACCESS_TOKEN: google.token, GOOGLE_PEOPLE_READS_PER_MINUTE: '10000', GOOGLE_PEOPLE_WRITES_PER_MINUTE: '10000' } : {}),
    ...(notion ? { NOTION_TOKEN: notion.emu.token, NOTION_API_URL: notion.emu.url, NOTION_CONTACTS_DATA_SOURCE: notion.contacts, NOTION_RATE_LIMIT: '1000' } : {}),
    ...o.extraEnv,
  };
  const http = await buildHttpServer({ redisUrl: redis, prefix, db: db.db, queues: allQueues(), log: testLog, ...hubHttpOptions(db.db, env) });
  const baseUrl = await http.app.listen({ host: '127.0.0.1', port: 0 });
  twenty.setWebhook(`${baseUrl}/webhooks/twenty`, TWENTY_SECRET);
  supabase.setWebhook(`${baseUrl}/webhooks/supabase`, SUPABASE_SECRET);
  const hub = await openHub({ db: db.db, redisUrl: redis, prefix, log: testLog, env, clock: () => clock.now() });
  const workers: WorkerProc[] = [];
  for (let i = 0; i < (o.workers ?? 1); i++) workers.push(await spawnWorker(env));
  const conn = createRedis(redis);
  const queues = new Map<string, Queue>();
  const queue = (name: string) => {
    let q = queues.get(name);
    if (!q) queues.set(name, (q = new Queue(name, { connection: conn, prefix })));
    return q;
  };
  return {
    env,
    db,
    prefix,
    twenty,
    supabase,
    bigquery,
    notion,
    google,
    clock,
    http,
    baseUrl,
    hub,
    alertSink,
    workers,
    queue,
    async settle(timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      let quiet = 0;
      while (Date.now() < until) {
        await twenty.flushWebhooks();
        await supabase.flushWebhooks();
        await notion?.emu.flushWebhooks();
        let busy = 0;
        for (const name of CONTACT_QUEUE_NAMES) {
          const c = await queue(name).getJobCounts('waiting', 'active', 'delayed', 'waiting-children', 'prioritized');
          busy += Object.values(c).reduce((a, b) => a + b, 0);
        }
        // Quiet twice in a row: a webhook answered just now may still be turning into a job.
        quiet = busy === 0 ? quiet + 1 : 0;
        if (quiet >= 3) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`contact jobs did not settle in ${timeoutMs} ms\n${workers.map((w) => w.output()).join('\n')}`);
    },
    async stop() {
      await Promise.all(workers.map((w) => w.stop()));
      await hub.close();
      await http.close();
      for (const q of queues.values()) await q.close();
      conn.disconnect();
      await twenty.stop();
      await supabase.stop();
      await bigquery?.stop();
      await notion?.emu.stop();
      await google?.close();
      await alertSink.stop();
      await db.dispose();
      if (!o.redisUrl) await cleanupRedis(prefix);
    },
  };
}

/** Poll until `fn` returns a truthy value (bounded). */
export async function until<T>(fn: () => Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/** Write requests (not reads) an emulator received. */
export const twentyWrites = (t: TwentyEmulator) => t.requests.filter((r) => r.method !== 'GET').length;
export const supabaseWrites = (s: SupabaseEmulator) => s.requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD').length;

/** A valid canonical contact for seeding. */
export function seedContact(i: number, over: Partial<CanonicalContact> = {}): CanonicalContact {
  return {
    contact_id: randomUUID(),
    canonical_name: `Person ${i} Example`,
    first_name: `Person ${i}`,
    last_name: 'Example',
    emails: [`p${i}@example.org`],
    phones: [],
    company: null,
    job_title: null,
    category_code: null,
    subcategory_code: null,
    notes: null,
    llm_context: null,
    deleted_at: null,
    sync_metadata: { version: 1, last_updated: '2026-01-27T10:00:00.000Z', last_updated_by: 'kith' },
    ...over,
  };
}
