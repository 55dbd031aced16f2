/**
 * `npm run bench -- dag --people 20000 --interactions 1000000`: writes synthetic exports (an
 * mbox, a calls backup and a vCard file) for that many people and interactions, runs the whole
 * phase DAG with `kith sync --json` (embedded Redis, real worker processes, SQLite unless
 * --db postgres), samples the RSS of every process in the tree, and prints one JSON line.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { startPostgres } from '../tests/support/postgres-server.js';

const HELP = `usage: npm run bench -- dag [--people N] [--interactions N] [--db sqlite|postgres] [--keep]`;

async function writeLines(file: string, gen: () => Generator<string>) {
  const out = createWriteStream(file);
  let buf = '';
  for (const line of gen()) {
    buf += line;
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
}

const email = (i: number) => `person${i}@example.org`;
const phone = (i: number) => `+1555${String(i).padStart(7, '0')}`;
const name = (i: number) => `Person ${i}`;

/** Deterministic pseudo-random numbers so every run builds the same data set. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** Writes the synthetic exports (mail.mbox, calls.xml, contacts.vcf) and a kith.config.yaml listing them into `dir`. */
export async function generate(dir: string, people: number, interactions: number) {
  const rand = rng(42);
  const pick = () => Math.floor(rand() * people);
  // Two interactions per message (From and Cc, To is self), the rest as calls.
  const messages = Math.floor((interactions * 0.8) / 2);
  const calls = interactions - messages * 2;
  const t0 = Date.UTC(2020, 0, 1);
  await writeLines(join(dir, 'mail.mbox'), function* () {
    for (let m = 0; m < messages; m++) {
      const a = pick();
      let b = pick();
      if (b === a) b = (a + 1) % people;
      const d = new Date(t0 + m * 60_000).toUTCString().replace('GMT', '+0000');
      yield `From ${email(a)} ${d}\nMessage-ID: <m${m}@bench.kith>\nFrom: ${name(a)} <${email(a)}>\nTo: Me <me@example.com>\nCc: ${name(b)} <${email(b)}>\nDate: ${d}\nSubject: note ${m}\nX-GM-THRID: ${Math.floor(m / 3)}\n\nhello\n\n`;
    }
  });
  await writeLines(join(dir, 'calls.xml'), function* () {
    yield `<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<calls count="${calls}">\n`;
    for (let c = 0; c < calls; c++) {
      const p = pick();
      yield `  <call number="${phone(p)}" duration="${30 + (c % 300)}" date="${t0 + c * 90_000}" type="${1 + (c % 2)}" presentation="1" contact_name="${name(p)}" />\n`;
    }
    yield '</calls>\n';
  });
  await writeLines(join(dir, 'contacts.vcf'), function* () {
    for (let i = 0; i < people; i++) yield `BEGIN:VCARD\r\nVERSION:3.0\r\nFN:${name(i)}\r\nN:${i};Person;;;\r\nEMAIL:${email(i)}\r\nTEL:${phone(i)}\r\nEND:VCARD\r\n`;
  });
  writeFileSync(
    join(dir, 'kith.config.yaml'),
    `self: { emails: [me@example.com], phones: ["+14155550100"] }\nsources:\n  - { type: vcard, path: contacts.vcf }\n  - { type: mbox, path: mail.mbox }\n  - { type: android-calls, path: calls.xml }\n`,
  );
}

/** A short label for a process: its worker queues, or its program. */
function label(pid: number): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const q = argv.indexOf('--queues');
    if (q >= 0) return `worker ${argv[q + 1]}`;
    if (argv.includes('sync')) return 'kith sync';
    return argv[0]!.split('/').pop() ?? String(pid);
  } catch {
    return String(pid);
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** Busy and total jiffies of the whole machine, from /proc/stat. */
function machineJiffies(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3]! - (f[4] ?? 0), total };
}

/** RSS of a process and all its descendants, from /proc (Linux); `each` gets every process's RSS and pid by label. */
function treeRss(root: number, each?: (label: string, rss: number, pid: number) => void): { total: number; max: number } {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const status = readFileSync(`/proc/${d}/status`, 'utf8');
      const ppid = Number(/PPid:\s+(\d+)/.exec(status)?.[1]);
      rss.set(Number(d), Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      /* exited meanwhile */
    }
  }
  let total = 0;
  let max = 0;
  const stack = [root];
  while (stack.length) {
    const p = stack.pop()!;
    const r = rss.get(p) ?? 0;
    total += r;
    max = Math.max(max, r);
    if (each && r) each(label(p), r, p);
    stack.push(...(children.get(p) ?? []));
  }
  return { total, max };
}

export async function main(args: string[]) {
  const { values } = parseArgs({ args, options: { people: { type: 'string', default: '20000' }, interactions: { type: 'string', default: '1000000' }, db: { type: 'string', default: 'sqlite' }, keep: { type: 'boolean' }, help: { type: 'boolean' } } });
  if (values.help) return console.error(HELP);
  const people = Number(values.people);
  const interactions = Number(values.interactions);
  if (!(people > 1) || !(interactions > 0)) throw new Error(`--people and --interactions must be positive numbers\n${HELP}`);
  const dir = mkdtempSync(join(tmpdir(), 'kith-bench-dag-'));
  const pg = values.db === 'postgres' ? await startPostgres() : undefined;
  try {
    console.error(`generating ${interactions} interactions over ${people} people in ${dir} …`);
    const g0 = performance.now();
    await generate(dir, people, interactions);
    console.error(`generated in ${((performance.now() - g0) / 1000).toFixed(1)} s; running the DAG …`);
    const env = { ...process.env, KITH_CONFIG: join(dir, 'kith.config.yaml'), KITH_DATA_DIR: join(dir, 'data'), KITH_LOG_LEVEL: 'warn', REDIS_URL: '', DATABASE_URL: pg?.url ?? '' };
    const t0 = performance.now();
    const child = spawn(process.execPath, [resolve(import.meta.dirname, '../bin/kith.mjs'), 'sync', '--json'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    let peakTotal = 0;
    let peakMax = 0;
    const peakBy = new Map<string, number>();
    const cpuBy = new Map<string, number>();
    const m0 = machineJiffies();
    const sampler = setInterval(() => {
      const r = treeRss(child.pid!, (l, rss, pid) => {
        peakBy.set(l, Math.max(peakBy.get(l) ?? 0, rss));
        cpuBy.set(l, Math.max(cpuBy.get(l) ?? 0, cpuSeconds(pid)));
      });
      peakTotal = Math.max(peakTotal, r.total);
      peakMax = Math.max(peakMax, r.max);
    }, 100);
    const [code] = (await once(child, 'exit')) as [number];
    clearInterval(sampler);
    const m1 = machineJiffies();
    const seconds = (performance.now() - t0) / 1000;
    const report = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { status: string; steps: { id: string; startedAt: string; finishedAt: string; records: number }[]; people: number; interactions: number; relationships: number };
    const stepSeconds = Object.fromEntries(report.steps.map((s) => [s.id, s.startedAt && s.finishedAt ? (Date.parse(s.finishedAt) - Date.parse(s.startedAt)) / 1000 : null]));
    console.log(
      JSON.stringify({
        bench: 'dag',
        db: values.db,
        people_requested: people,
        interactions_requested: interactions,
        exit_code: code,
        status: report.status,
        total_seconds: Math.round(seconds * 10) / 10,
        step_seconds: stepSeconds,
        people: report.people,
        interactions: report.interactions,
        relationships: report.relationships,
        peak_rss_mb_process_max: Math.round(peakMax / 2 ** 20),
        peak_rss_mb_all_processes: Math.round(peakTotal / 2 ** 20),
        peak_rss_mb_by_process: Object.fromEntries([...peakBy].map(([l, r]) => [l, Math.round(r / 2 ** 20)])),
        // Sampled every 100 ms, so the last tenth of a second of each process is missing.
        cpu_seconds_by_process: Object.fromEntries([...cpuBy].filter(([, c]) => c > 0).map(([l, c]) => [l, Math.round(c * 10) / 10])),
        machine_cpu_busy_share: Math.round(((m1.busy - m0.busy) / Math.max(1, m1.total - m0.total)) * 100) / 100,
        load_average: loadavg().map((x) => Math.round(x * 100) / 100),
      }),
    );
  } finally {
    pg?.stop();
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
}
