/**
 * `npm run bench -- web --people 20000 --interactions 1000000`: the DAG bench's dataset (its
 * generator, then `kith sync`), `kith start` serving the web view, and Debian's chromium
 * loading each page in one tab: the time from the navigation's start until the page's data is
 * painted, as the page measures it (`body[data-ready-ms]`, performance.now() when it is done).
 * Each page is loaded --rounds times; the median per page is reported, with the first round
 * (cold caches) beside it. Prints one JSON line last; the target is ≤ 1000 ms per page.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from '../tests/processes/web/chromium.js';
import { startPostgres } from '../tests/support/postgres-server.js';
import { generate } from './dag.bench.js';

const HELP = `usage: npm run bench -- web [--people N] [--interactions N] [--db sqlite|postgres] [--rounds N] [--keep]`;
const TARGET_MS = 1000;
const BIN = resolve(import.meta.dirname, '../bin/kith.mjs');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function main(args: string[]) {
  const { values } = parseArgs({
    args,
    options: { people: { type: 'string', default: '20000' }, interactions: { type: 'string', default: '1000000' }, db: { type: 'string', default: 'sqlite' }, rounds: { type: 'string', default: '5' }, keep: { type: 'boolean' }, help: { type: 'boolean' } },
  });
  if (values.help) return console.error(HELP);
  const people = Number(values.people);
  const interactions = Number(values.interactions);
  const rounds = Number(values.rounds);
  if (!(people > 1) || !(interactions > 0) || !(rounds >= 1)) throw new Error(`--people, --interactions and --rounds must be positive numbers\n${HELP}`);
  const dir = mkdtempSync(join(tmpdir(), 'kith-bench-web-'));
  const pg = values.db === 'postgres' ? await startPostgres() : undefined;
  let server: ReturnType<typeof spawn> | undefined;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  try {
    console.error(`generating ${interactions} interactions over ${people} people in ${dir} …`);
    await generate(dir, people, interactions);
    const env = { ...process.env, KITH_CONFIG: join(dir, 'kith.config.yaml'), KITH_DATA_DIR: join(dir, 'data'), KITH_LOG_LEVEL: 'warn', REDIS_URL: '', DATABASE_URL: pg?.url ?? '', KITH_PORT: '0' };
    console.error('running kith sync …');
    const sync = spawn(process.execPath, [BIN, 'sync', '--json'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    const [code] = (await once(sync, 'exit')) as [number];
    if (code !== 0) throw new Error(`kith sync exited with ${code}`);

    console.error('starting kith …');
    server = spawn(process.execPath, [BIN, 'start', '--no-workers'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const base = await new Promise<string>((res, rej) => {
      server!.stdout!.on('data', (d: Buffer) => {
        out += d;
        const m = /web view:\s+(http:\/\/\S+?)\/(\s|$)/.exec(out);
        if (m && out.includes('Press Ctrl-C')) res(m[1]!);
      });
      server!.once('exit', (c) => rej(new Error(`kith start exited with ${c}:\n${out}`)));
    });
    const json = async <T>(path: string) => (await (await fetch(base + path)).json()) as T;
    const top = (await json<{ people: { id: string }[] }>('/api/people?limit=1')).people[0]!;
    const run = (await json<{ runs: { id: string }[] }>('/api/sync/runs?limit=1')).runs[0]!;
    const pages: Record<string, [string, string]> = {
      people: ['/', 'people'],
      people_sorted_by_calls_page_100: ['/?sort=call&dir=desc&page=100', 'people'],
      people_search: ['/?q=person%2012', 'people'],
      person: [`/people/${encodeURIComponent(top.id)}`, 'person'],
      graph: ['/graph', 'graph'],
      sync: ['/sync', 'sync'],
      run: [`/sync/runs/${encodeURIComponent(run.id)}`, 'run'],
    };
    browser = await launchChromium();
    const page = await browser.context.newPage();
    await page.goto(`${base}/assets/app.css`); // the tab's renderer is up before the first measured load
    const inPage: Record<string, number[]> = {};
    const wall: Record<string, number[]> = {};
    for (let r = 0; r < rounds; r++) {
      for (const [name, [path, ready]] of Object.entries(pages)) {
        const t0 = performance.now();
        await page.goto(base + path, { waitUntil: 'commit' });
        await page.waitForSelector(`body[data-ready="${ready}"]`, { timeout: 60_000 });
        (wall[name] ??= []).push(Math.round(performance.now() - t0));
        // From the navigation's start until the data is painted, as the browser measures it.
        (inPage[name] ??= []).push(Number(await page.getAttribute('body', 'data-ready-ms')));
      }
      console.error(`round ${r + 1}/${rounds}: ${Object.entries(inPage).map(([n, v]) => `${n} ${v[v.length - 1]} ms`).join(', ')}`);
    }
    const med = (m: Record<string, number[]>) => Object.fromEntries(Object.entries(m).map(([n, v]) => [n, median(v)]));
    const medians = med(inPage);
    console.log(
      JSON.stringify({
        bench: 'web',
        db: values.db,
        people_requested: people,
        interactions_requested: interactions,
        rounds,
        target_ms: TARGET_MS,
        page_ms: medians,
        page_ms_first_round: Object.fromEntries(Object.entries(inPage).map(([n, v]) => [n, v[0]])),
        // The same loads timed from the driver (includes its own round trips to the browser).
        driver_ms: med(wall),
        within_target: Object.values(medians).every((v) => v <= TARGET_MS),
      }),
    );
  } finally {
    await browser?.close();
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await once(server, 'exit');
    }
    pg?.stop();
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
}
