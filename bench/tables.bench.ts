/**
 * `npm run bench -- tables --pages 10000 [--edits 200] [--interval-ms 500]`: the Notion ↔
 * Supabase table sync on loopback, Notion's 3 requests a second enforced by its emulator (429
 * with Retry-After beyond it) and kept by Kith's shared limiter in Redis. Measures:
 *   1. a full one-way sync of --pages pages into an empty Supabase table: `full_sync_s`, Notion
 *      `requests_per_s` over it, `limit_utilisation` (that rate / the limit), and
 *      `rate_limited_responses` (429s the emulator answered during the whole bench);
 *   2. --edits single edits of a two-way table, alternating sides every --interval-ms (500: one
 *      a second on each side), each carried by its webhook (Notion's signed events, Supabase's
 *      Database Webhooks) to Kith's HTTP server and a worker: `change_to_other_side_ms`
 *      p50/p95/p99, from the edit to the moment the other side holds it.
 * The HTTP server and the worker run in this process. Progress on stderr (with Notion's median
 * answer time and the spacing the limiter keeps between requests), one JSON line on stdout.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDb } from '../src/db/open-db.js';
import { hubHttpOptions } from '../src/app/hub-http.js';
import { buildHttpServer } from '../src/http/server.js';
import { createLogger } from '../src/log/logger.js';
import { allQueues } from '../src/queues/queue-registry.js';
import { startEmbeddedRedis } from '../src/redis/embedded-redis.js';
import { TABLES_QUEUE } from '../src/tables/jobs/table-queues.js';
import { openTableSync } from '../src/tables/open-table-sync.js';
import { runTableSync } from '../src/tables/services/table-sync.service.js';
import { tablesHandlers } from '../src/workers/handlers/tables.worker.js';
import { startWorkerHost } from '../src/workers/worker-host.js';
import { EmulatorClock } from '../tests/emulators/emulator-clock.js';
import { startNotionEmulator } from '../tests/emulators/notion/notion-emulator.js';
import { startSupabaseEmulator } from '../tests/emulators/supabase/supabase-emulator.js';
import { startPostgres } from '../tests/support/postgres-server.js';
import { TABLES_SCHEMA_SQL } from '../tests/support/tables/table-kit.js';

const log = (m: string) => process.stderr.write(`[tables bench] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LIMIT = 3;
const TOKEN = 'secret_bench_notion_webhook_token';
const SB_SECRET = 'bench-supabase-webhook-secret';
const title = (s: string) => ({ title: [{ type: 'text', text: { content: s } }] });
const text = (s: string) => ({ rich_text: [{ type: 'text', text: { content: s } }] });

function pct(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { pages: { type: 'string', default: '10000' }, edits: { type: 'string', default: '200' }, 'interval-ms': { type: 'string', default: '500' }, help: { type: 'boolean' } } });
  if (values.help) {
    console.error('usage: npm run bench -- tables [--pages 10000] [--edits 200] [--interval-ms 500]');
    return;
  }
  const pages = Number(values.pages);
  const edits = Number(values.edits);
  const intervalMs = Number(values['interval-ms']);
  const dir = mkdtempSync(join(tmpdir(), 'kith-tables-bench-'));
  const cleanups: (() => Promise<unknown> | unknown)[] = [() => rmSync(dir, { recursive: true, force: true })];
  try {
    const redis = await startEmbeddedRedis({ dir: join(dir, 'redis'), extraArgs: ['--save', '', '--appendonly', 'no'], supervise: false });
    cleanups.push(() => redis.stop());
    const pgServer = await startPostgres();
    cleanups.push(() => pgServer.stop());
    const clock = new EmulatorClock();
    const notion = await startNotionEmulator({ clock, rateLimit: LIMIT });
    cleanups.push(() => notion.stop());
    const supabase = await startSupabaseEmulator({ postgresUrl: pgServer.url, schemaSql: TABLES_SCHEMA_SQL });
    cleanups.push(() => supabase.stop());
    const contacts = notion.createDataSource('Contacts', { Name: 'title' });
    const books = notion.createDataSource('Books', { Name: 'title', Author: 'rich_text', Pages: 'number', Tags: 'multi_select', Finished: 'date', Read: 'checkbox' });
    const meetings = notion.createDataSource('Meetings', { Title: 'title', Date: 'date', Summary: 'rich_text', Attendees: { type: 'relation', relation: contacts } });
    writeFileSync(
      join(dir, 'kith.config.yaml'),
      `tables:
  - { name: meetings, mode: two-way, notion: { data_source: ${meetings} }, supabase: { table: meetings }, fields: { title: Title, summary: Summary } }
  - { name: books, mode: one-way, notion: { data_source: ${books} }, supabase: { table: books }, fields: { title: Name, author: Author, pages: Pages } }
`,
    );
    const prefix = '{kith}';
    Object.assign(process.env, {
      KITH_CONFIG: join(dir, 'kith.config.yaml'),
      NOTION_TOKEN: notion.token,
      NOTION_API_URL: notion.url,
      NOTION_RATE_LIMIT: String(LIMIT),
      NOTION_WEBHOOK_TOKEN: TOKEN,
      SUPABASE_URL: supabase.url,
      SUPABASE_KEY: supabase.key,
      SUPABASE_WEBHOOK_SECRET: SB_SECRET,
    });
    const db = await openDb({ engine: 'sqlite', path: join(dir, 'kith.db') });
    cleanups.push(() => db.close());
    const quiet = createLogger('warn');

    log(`creating ${pages} pages in the emulator`);
    for (let i = 0; i < pages; i++) notion.createPage(books, { Name: title(`Book ${i}`), Author: text('A. Writer'), Pages: { number: i } });

    // 1. The full one-way sync.
    const sync = openTableSync({ db, redisUrl: redis.url, prefix, log: quiet });
    cleanups.push(() => sync.close());
    const bookMapping = sync.deps.tables.find((t) => t.name === 'books')!;
    const before = notion.requests.length;
    const t0 = performance.now();
    log('full one-way sync …');
    const report = await runTableSync(sync.deps, bookMapping, { full: true });
    const fullSyncS = (performance.now() - t0) / 1000;
    const fullRequests = notion.requests.length - before;
    log(`${report.supabase.created} rows in ${fullSyncS.toFixed(1)} s, ${fullRequests} Notion requests`);
    // Where the time goes: the limiter frees a slot a window after each response, so with one query
    // in flight at a time a request and the third after it are 1 s plus a round trip apart.
    const sent = notion.requests.slice(before);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    const answerMs = median(sent.map((r) => (r.answeredAt ?? r.at) - r.at));
    const thirdAfterMs = median(sent.slice(3).map((r, i) => r.at - sent[i]!.at));
    log(`Notion answered a request in ${answerMs} ms (median); a request and the third after it arrived ${thirdAfterMs} ms apart (median); the last arrived ${((sent.at(-1)!.at - sent[0]!.at) / 1000).toFixed(1)} s after the first`);

    // 2. Edits carried by webhook, alternating sides.
    const http = await buildHttpServer({ redisUrl: redis.url, prefix, db, queues: allQueues(), log: quiet, ...hubHttpOptions(db, process.env, quiet) });
    cleanups.push(() => http.close());
    const base = await http.app.listen({ host: '127.0.0.1', port: 0 });
    const host = await startWorkerHost({ redisUrl: redis.url, prefix, handlers: tablesHandlers({ db, redisUrl: redis.url, prefix, log: quiet }), queues: [TABLES_QUEUE], log: quiet });
    cleanups.push(() => host.close(5_000));
    const meetingMapping = sync.deps.tables.find((t) => t.name === 'meetings')!;
    const pageId = notion.createPage(meetings, { Title: title('Weekly'), Summary: text('start') });
    await runTableSync(sync.deps, meetingMapping, { full: true });
    await notion.setWebhook(`${base}/webhooks/notion`, { verificationToken: TOKEN });
    supabase.setWebhook(`${base}/webhooks/supabase`, SB_SECRET);
    const latencies: number[] = [];
    const notionSummary = () => {
      const p = notion.page(pageId) as { properties: Record<string, { rich_text?: { plain_text?: string; text?: { content: string } }[] }> };
      return (p.properties.Summary?.rich_text ?? []).map((t) => t.plain_text ?? t.text?.content ?? '').join('');
    };
    const rowSummary = async () => (await supabase.sql<{ summary: string }>('SELECT summary FROM meetings'))[0]?.summary;
    log(`${edits} edits, one every ${intervalMs} ms, alternating sides …`);
    for (let i = 0; i < edits; i++) {
      const started = performance.now();
      const value = `edit ${i}`;
      const fromNotion = i % 2 === 0;
      if (fromNotion) notion.editPage(pageId, { Summary: text(value) });
      else await supabase.sql('UPDATE meetings SET summary = $1', [value]);
      const deadline = started + 60_000;
      for (;;) {
        const there = fromNotion ? await rowSummary() : notionSummary();
        if (there === value) break;
        if (performance.now() > deadline) throw new Error(`edit ${i} (${fromNotion ? 'Notion' : 'Supabase'}) did not arrive within 60 s`);
        await sleep(5);
      }
      latencies.push(performance.now() - started);
      const wait = started + intervalMs - performance.now();
      if (wait > 0) await sleep(wait);
    }
    latencies.sort((a, b) => a - b);
    const result = {
      bench: 'tables',
      pages,
      full_sync_s: Number(fullSyncS.toFixed(2)),
      full_sync_floor_s: Number(((Math.ceil(pages / 100) + 1) / LIMIT).toFixed(2)),
      requests_per_s: Number((fullRequests / fullSyncS).toFixed(2)),
      limit_per_s: LIMIT,
      limit_utilisation: Number((fullRequests / fullSyncS / LIMIT).toFixed(3)),
      rate_limited_responses: notion.requests.filter((r) => r.status === 429).length,
      edits,
      interval_ms: intervalMs,
      change_to_other_side_ms: { p50: Math.round(pct(latencies, 50)), p95: Math.round(pct(latencies, 95)), p99: Math.round(pct(latencies, 99)) },
    };
    console.log(JSON.stringify(result));
  } finally {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
  }
}
