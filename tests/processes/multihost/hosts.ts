import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cliEnv, KITH_BIN } from '../../support/cli.js';

const EXAMPLES = resolve(import.meta.dirname, '../../../examples/exports');

/** Sample exports by the name a host keeps them under, from the bundled examples. */
export const EXPORTS = {
  'mail.mbox': 'mbox/All mail Including Spam and Trash.mbox',
  'calendar.ics': 'ics/me@example.com.ics',
  'contacts.vcf': 'vcard/contacts.vcf',
  'zoe.txt': 'whatsapp/WhatsApp Chat with Zoë Müller.txt',
  'book-club.txt': 'whatsapp/WhatsApp Chat with Book Club.txt',
} as const;
export type ExportName = keyof typeof EXPORTS;

export const SELF = 'self:\n  emails: [me@example.com]\n  phones: ["+15551234567"]\n  names: [Sam Rivera]\n';

/**
 * One "host": a folder of its own holding its configuration file, its data directory
 * (KITH_DATA_DIR) and only the exports named, under `exports/`.
 */
export function makeHost(root: string, name: string, config: string, exports: readonly ExportName[]) {
  const dir = join(root, name);
  mkdirSync(join(dir, 'exports'), { recursive: true });
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'kith.config.yaml'), config);
  for (const e of exports) cpSync(join(EXAMPLES, EXPORTS[e]), join(dir, 'exports', e));
  return { name, dir, env: { KITH_CONFIG: join(dir, 'kith.config.yaml'), KITH_DATA_DIR: join(dir, 'data') } };
}

export interface HostWorker {
  host: string;
  child: ChildProcess;
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

/** A `kith worker …` process of one host; resolves once it serves its queues. */
export async function startWorker(host: string, args: string[], env: Record<string, string>): Promise<HostWorker> {
  const child = spawn(process.execPath, [KITH_BIN, 'worker', ...args], { env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (out += d));
  const exited = once(child, 'exit');
  await new Promise<void>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`${host}: kith worker ${args.join(' ')} not serving in 30 s:\n${out}`)), 30_000);
    child.stderr!.on('data', () => {
      if (out.includes('kith worker: serving')) {
        clearTimeout(t);
        res();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(t);
      rej(new Error(`${host}: kith worker ${args.join(' ')} exited with ${code}:\n${out}`));
    });
  });
  return {
    host,
    child,
    pid: child.pid!,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Start several workers at once; every one that started is in `into` (to be stopped) even when another failed. */
export async function startAll(into: HostWorker[], starting: Promise<HostWorker>[]): Promise<void> {
  const settled = await Promise.allSettled(starting);
  for (const s of settled) if (s.status === 'fulfilled') into.push(s.value);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/** The largest number of `times` (ms) inside any window of `windowMs` that starts at one of them. */
export function busiestWindow(times: readonly number[], windowMs: number): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[j]! < t[i]! - windowMs + 1) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}
