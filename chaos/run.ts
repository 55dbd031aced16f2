/**
 * `npm run chaos -- <scenario…>|all [--db sqlite|postgres|both] [--fast] [--list] [--json]`:
 * the fault-injection suite. Each scenario runs the real Kith processes on loopback, injects one
 * fault, waits for the system to settle and checks its invariants. One JSON line per scenario and
 * engine on stdout; progress on stderr; exit 1 when any failed.
 */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startPostgres, type PgServer } from '../tests/support/postgres-server.js';
import type { ChaosEngine, ChaosResult, ChaosScenario } from './scenario.js';

const HELP = `usage: npm run chaos -- <scenario…>|all [--db sqlite|postgres|both] [--fast] [--list]

  <scenario…>  names from --list, or all
  --db         the database Kith runs on (default: both, each scenario on the engines it supports)
  --fast       smaller data and shorter faults (the subset npm test runs)
  --list       print the scenarios and exit

Prints one JSON line per scenario and engine: scenario, engine, passed, recovery_s, lost,
duplicated, drift_pct, discrepancies. Exit code 1 when any scenario failed.`;

/** Every scenario under chaos/scenarios/, in file then declaration order. */
export async function loadScenarios(): Promise<ChaosScenario[]> {
  const dir = `${dirname(fileURLToPath(import.meta.url))}/scenarios`;
  const files = readdirSync(dir).filter((f) => f.endsWith('.scenario.ts')).sort();
  const all: ChaosScenario[] = [];
  for (const f of files) all.push(...((await import(/* @vite-ignore */ `./scenarios/${f}`)) as { scenarios: ChaosScenario[] }).scenarios);
  const seen = new Set<string>();
  for (const s of all) {
    if (seen.has(s.name)) throw new Error(`two chaos scenarios are named ${s.name}`);
    seen.add(s.name);
  }
  return all;
}

/** Runs one scenario on one engine within its budget; a throw or a timeout is a failed result. */
export async function runScenario(s: ChaosScenario, engine: ChaosEngine, opts: { fast: boolean; postgresUrl?: string; log?: (m: string) => void }): Promise<ChaosResult> {
  const budgetMs = s.budgetSeconds(opts.fast) * 1000;
  const ac = new AbortController();
  const log = opts.log ?? ((m: string) => process.stderr.write(`[chaos ${s.name} ${engine}] ${m}\n`));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ac.abort();
      reject(new Error(`did not finish within its budget of ${budgetMs / 1000} s`));
    }, budgetMs);
  });
  const failed = (message: string): ChaosResult => ({ scenario: s.name, engine, passed: false, recovery_s: null, lost: 0, duplicated: 0, drift_pct: null, discrepancies: [message] });
  const run = s.run({ engine, postgresUrl: opts.postgresUrl, fast: opts.fast, log, signal: ac.signal });
  try {
    const r = await Promise.race([run, timeout]);
    return { scenario: s.name, engine, ...r };
  } catch (err) {
    // Past the budget the scenario is aborted; give it a moment to clean up what it started.
    if (ac.signal.aborted) await Promise.race([run.catch(() => undefined), new Promise((r) => setTimeout(r, 30_000))]);
    return failed(err instanceof Error ? err.message : String(err));
  } finally {
    clearTimeout(timer);
  }
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { db: { type: 'string', default: 'both' }, fast: { type: 'boolean' }, list: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const scenarios = await loadScenarios();
  if (values.list) {
    for (const s of scenarios) console.log(`${s.name.padEnd(28)} ${s.engines.join(',').padEnd(16)} ${s.fast ? 'fast ' : '     '} ${s.description}`);
    return 0;
  }
  if (!['sqlite', 'postgres', 'both'].includes(values.db!)) throw new Error(`--db must be sqlite, postgres or both, not '${values.db}'`);
  if (positionals.length === 0) {
    console.error(HELP);
    return 1;
  }
  const wanted = positionals.includes('all') ? scenarios : positionals.map((n) => scenarios.find((s) => s.name === n) ?? fail(`no chaos scenario is named '${n}'; --list shows them`));
  const engines: ChaosEngine[] = values.db === 'both' ? ['sqlite', 'postgres'] : [values.db as ChaosEngine];
  let pg: PgServer | undefined;
  let failures = 0;
  try {
    for (const s of wanted) {
      for (const engine of engines.filter((e) => s.engines.includes(e))) {
        if (engine === 'postgres' && !pg) {
          pg = await startPostgres();
          // An interrupted runner (Ctrl-C) exits from the scenarios' signal handlers: the server goes with it.
          const server = pg;
          process.once('exit', () => {
            if (pg === server) server.stop();
          });
        }
        const started = Date.now();
        const r = await runScenario(s, engine, { fast: Boolean(values.fast), postgresUrl: pg?.url });
        if (!r.passed) failures++;
        process.stderr.write(`[chaos] ${s.name} on ${engine}: ${r.passed ? 'passed' : 'FAILED'} in ${Math.round((Date.now() - started) / 1000)} s${r.passed ? '' : `: ${r.discrepancies.join('; ')}`}\n`);
        console.log(JSON.stringify(r));
      }
    }
  } finally {
    pg?.stop();
    pg = undefined;
  }
  return failures ? 1 : 0;
}

function fail(message: string): never {
  throw new Error(message);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`chaos: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
