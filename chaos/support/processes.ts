/**
 * Processes a chaos scenario starts: `kith …` commands, a redis-server on a loopback port, temp
 * directories. Everything goes through a `Procs` owned by one scenario, whose `cleanup()` SIGKILLs
 * whatever is still running and removes the directories, whether the scenario passed, failed or
 * was aborted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../src/redis/free-port.js';

export const KITH_BIN = resolve(import.meta.dirname, '../../bin/kith.mjs');

/** How a process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A process a scenario started, with its output kept in memory. */
export interface Proc {
  readonly label: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>;
  stdout(): string;
  stderr(): string;
  running(): boolean;
  /** Sends `signal` (if still running) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

/** Only the variables a scenario sets, plus what Node needs; never the operator's own config. */
export function kithEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base: Record<string, string | undefined> = { PATH: process.env.PATH, HOME: process.env.HOME, METADATA_SERVER_DETECTION: 'none', KITH_LOG_LEVEL: 'warn', KITH_ENV_FILE: undefined };
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries({ ...base, ...env })) if (v !== undefined) out[k] = v;
  return out;
}

/** Polls `probe` every `everyMs` until it returns a truthy value; throws after `withinMs` or on abort. */
export async function until<T>(what: string, withinMs: number, probe: () => T | undefined | false | null | Promise<T | undefined | false | null>, signal?: AbortSignal, everyMs = 50): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (signal?.aborted) throw new Error(`aborted while waiting for ${what}`);
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${Math.round(withinMs / 1000)} s`);
    await sleep(everyMs, signal);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((res) => {
    if (signal?.aborted) return res();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      res();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** A redis-server on a loopback port, data in its own directory, that can be stopped and started again on the same port. */
export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  proc(): Proc;
  /** Starts it again (same port, same directory: AOF and RDB are read back). */
  restart(): Promise<void>;
}

/** The pids whose parent is `parent` and whose command line contains every one of `words` (from /proc, Linux). */
export function childPids(parent: number, ...words: string[]): number[] {
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${e}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1]);
      if (ppid !== parent) continue;
      const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if (words.every((w) => argv.some((a) => a.includes(w)))) pids.push(Number(e));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

/** Pids of the redis-server processes whose working directory (their --dir) lies under `dir` (from /proc, Linux). */
export function redisServersUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      // redis-server rewrites its command line; its working directory is its --dir.
      if (readFileSync(`/proc/${e}/comm`, 'utf8').trim() === 'redis-server' && readlinkSync(`/proc/${e}/cwd`).startsWith(dir)) pids.push(Number(e));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

/** Every Procs not cleaned up yet: an interrupted runner (Ctrl-C, SIGTERM) kills their processes on the way out. */
const liveGroups = new Set<Procs>();
let interruptHandlers = false;
function onInterrupt(signal: NodeJS.Signals) {
  for (const procs of liveGroups) procs.killAllNow();
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

/** Every process and directory one scenario started, for `cleanup()`. */
export class Procs {
  private readonly procs: Proc[] = [];
  private readonly dirs: string[] = [];
  private readonly after: Array<() => Promise<unknown> | unknown> = [];

  constructor(private readonly log: (m: string) => void = () => undefined) {
    liveGroups.add(this);
    if (!interruptHandlers) {
      interruptHandlers = true;
      process.once('SIGINT', onInterrupt);
      process.once('SIGTERM', onInterrupt);
    }
  }

  /** SIGKILLs every process still running, with its descendants, and removes the temp directories, at once (for an interrupted runner). */
  killAllNow(): void {
    for (const p of this.procs) if (p.running()) killTree(p.pid);
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }

  /** Runs `fn` in `cleanup()` once every process has gone (last registered, first run). */
  onCleanup(fn: () => Promise<unknown> | unknown): void {
    this.after.push(fn);
  }

  /** A temp directory removed by `cleanup()`. */
  tempDir(prefix: string): string {
    const d = mkdtempSync(join(tmpdir(), `kith-chaos-${prefix}-`));
    this.dirs.push(d);
    return d;
  }

  /** Starts any program; its output is kept. */
  spawn(label: string, command: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Proc {
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    child.stderr!.on('data', (d: Buffer) => (err += d));
    let ended = false;
    const exited = new Promise<Exit>((res) => {
      child.once('exit', (code, signal) => {
        ended = true;
        res({ code, signal });
      });
      child.once('error', (e) => {
        ended = true;
        err += `\n${e.message}`;
        res({ code: -1, signal: null });
      });
    });
    const p: Proc = {
      label,
      child,
      pid: child.pid ?? -1,
      exited,
      stdout: () => out,
      stderr: () => err,
      running: () => !ended,
      async stop(signal: NodeJS.Signals = 'SIGTERM') {
        if (!ended) child.kill(signal);
        return exited;
      },
    };
    this.procs.push(p);
    return p;
  }

  /** `node bin/kith.mjs <args>` with only `env` (plus PATH and HOME). */
  kith(label: string, args: string[], env: Record<string, string | undefined>): Proc {
    return this.spawn(label, process.execPath, [KITH_BIN, ...args], kithEnv(env));
  }

  /** `kith <args>` to its end, within `timeoutMs` (then SIGKILLed and reported as a throw). */
  async kithRun(label: string, args: string[], env: Record<string, string | undefined>, timeoutMs: number, signal?: AbortSignal): Promise<Exit & { stdout: string; stderr: string }> {
    const p = this.kith(label, args, env);
    const onAbort = () => killTree(p.pid);
    signal?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const t = setTimeout(() => {
      timedOut = true;
      onAbort();
    }, timeoutMs);
    try {
      const e = await p.exited;
      if (signal?.aborted) throw new Error(`${label} aborted`);
      if (timedOut) throw new Error(`${label} did not finish within ${Math.round(timeoutMs / 1000)} s:\n${p.stderr().slice(-2000)}`);
      return { ...e, stdout: p.stdout(), stderr: p.stderr() };
    } finally {
      clearTimeout(t);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** `kith worker --queues <queues>` and wait until it says it serves them. */
  async worker(label: string, queues: string[], env: Record<string, string | undefined>, signal?: AbortSignal): Promise<Proc> {
    const p = this.kith(label, ['worker', '--queues', queues.join(',')], env);
    await until(`${label} to start`, 60_000, () => {
      if (!p.running()) throw new Error(`${label} exited before serving its queues:\n${p.stderr()}`);
      return p.stderr().includes('kith worker: serving');
    }, signal);
    return p;
  }

  /**
   * A redis-server on a free loopback port with `appendonly yes`, `appendfsync everysec`,
   * `maxmemory-policy noeviction`, its files in a temp directory.
   */
  async redis(signal?: AbortSignal): Promise<RedisServer> {
    const dir = this.tempDir('redis');
    const port = await freePort();
    const conf = join(dir, 'redis.conf');
    writeFileSync(conf, [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, 'appendonly yes', 'appendfsync everysec', 'maxmemory-policy noeviction', 'save ""', 'daemonize no', `logfile ${join(dir, 'redis.log')}`].join('\n') + '\n');
    let current: Proc | undefined;
    const start = async () => {
      current = this.spawn(`redis-server :${port}`, 'redis-server', [conf], { PATH: process.env.PATH });
      await until(`redis-server on port ${port} to accept connections`, 30_000, async () => {
        if (!current!.running()) throw new Error(`redis-server on port ${port} exited at start:\n${safeRead(join(dir, 'redis.log')).slice(-2000)}`);
        return (await ping(port)) === '+PONG';
      }, signal, 100);
    };
    await start();
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      dir,
      proc: () => current!,
      restart: start,
    };
  }

  /**
   * Stops every process still running — SIGTERM, then SIGKILL for any still there after 5 s, with
   * a `kith sync`'s own workers and Redis — runs the `onCleanup` functions, removes the temp directories.
   */
  async cleanup(): Promise<void> {
    // Kith processes first, while the Redis they use is still up; then the servers.
    const live = [...this.procs].reverse().filter((p) => p.running());
    for (const stage of [live.filter((p) => !p.label.startsWith('redis-server')), live.filter((p) => p.label.startsWith('redis-server'))]) {
      for (const p of stage) p.child.kill('SIGTERM');
      await Promise.race([Promise.all(stage.map((p) => p.exited)), sleep(5000)]);
      for (const p of stage) {
        if (!p.running()) continue;
        this.log(`cleanup: ${p.label} (pid ${p.pid}) did not stop within 5 s of SIGTERM: killing it; its last output: ${p.stderr().trim().split('\n').slice(-4).join(' | ')}`);
        killTree(p.pid);
        await Promise.race([p.exited, sleep(10_000)]);
      }
    }
    while (this.after.length) {
      try {
        await this.after.pop()!();
      } catch (err) {
        this.log(`cleanup: ${(err as Error).message}`);
      }
    }
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
    liveGroups.delete(this);
  }
}

/** One PING on a fresh connection: the first line of the answer ('+PONG', '-LOADING …'), or '' when refused. */
export function ping(port: number): Promise<string> {
  return new Promise((res) => {
    const sock = connect({ host: '127.0.0.1', port });
    let data = '';
    const done = (v: string) => {
      sock.destroy();
      res(v);
    };
    sock.setTimeout(2000, () => done(''));
    sock.on('error', () => done(''));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      data += d.toString();
      if (data.includes('\r\n')) done(data.split('\r\n')[0]!);
    });
  });
}

/** SIGKILLs a process and its descendants (a `kith sync`'s worker processes and embedded Redis), children first. */
export function killTree(pid: number): void {
  for (const c of childPids(pid)) killTree(c);
  tryKill(pid);
}

function tryKill(pid: number) {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
