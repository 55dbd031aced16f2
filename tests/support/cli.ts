import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export const KITH_BIN = resolve(import.meta.dirname, '../../bin/kith.mjs');

/** `kith` processes started by this test file that have not exited yet (the leak check reads it). */
const running = new Set<ChildProcess>();
let started = 0;
export function kithProcessesStarted(): number {
  return started;
}
export function runningKithProcesses(): string[] {
  return [...running].map((c) => `kith ${c.spawnargs.slice(2).join(' ')} (pid ${c.pid})`);
}
function tracked<C extends ChildProcess>(child: C): C {
  running.add(child);
  started++;
  child.once('exit', () => running.delete(child));
  child.once('error', () => running.delete(child));
  return child;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `kith …` as a real process with a clean, explicit environment. */
export function runKith(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((res, rej) => {
    const child = tracked(spawn(process.execPath, [KITH_BIN, ...args], { env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`kith ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(t);
      res({ code, stdout, stderr });
    });
  });
}

/** Only the variables a test sets, plus what Node needs; never the developer's own config. */
export function cliEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, METADATA_SERVER_DETECTION: 'none', KITH_LOG_LEVEL: 'warn', KITH_ENV_FILE: undefined };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete base[k];
  return { ...base, ...env } as NodeJS.ProcessEnv;
}

/** Start a long-running `kith …` and resolve once stdout contains `ready`. */
export function spawnKith(args: string[], env: Record<string, string | undefined>, ready: string | RegExp, timeoutMs = 30_000) {
  const child: ChildProcess = tracked(spawn(process.execPath, [KITH_BIN, ...args], { env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const started = new Promise<void>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`kith ${args.join(' ')} not ready in ${timeoutMs} ms:\n${stdout}\n${stderr}`)), timeoutMs);
    const check = () => {
      if (typeof ready === 'string' ? stdout.includes(ready) : ready.test(stdout)) {
        clearTimeout(t);
        res();
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(t);
      rej(new Error(`kith ${args.join(' ')} exited with ${code} before ready:\n${stdout}\n${stderr}`));
    });
  });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { child, started, exited, output: () => ({ stdout, stderr }) };
}
