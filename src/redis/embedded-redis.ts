import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import { connectRedis } from './connection.js';
import { freePort } from './free-port.js';
import { pidLock, processAlive } from '../support/pid-lock.js';

export class RedisNotInstalledError extends Error {
  override name = 'RedisNotInstalledError';
  constructor() {
    super(
      'redis-server was not found on PATH. Install it (Debian/Ubuntu: `sudo apt-get install redis-server`; macOS: `brew install redis`), ' +
        'or run `docker compose up -d redis` and set REDIS_URL=redis://127.0.0.1:6379.',
    );
  }
}

export interface EmbeddedRedis {
  readonly url: string;
  /** True when another Kith process owns this server and we only attached to it. */
  readonly shared?: boolean;
  readonly port: number;
  readonly pid: number | undefined;
  /** The Kith process that runs the server (this one unless `shared`). */
  readonly ownerPid?: number;
  stop(): Promise<void>;
}

export interface EmbeddedRedisOptions {
  dir: string;
  port?: number;
  log?: Logger;
  /** Extra `--name value` arguments (tests turn persistence off). */
  extraArgs?: string[];
  /** Restart the server when it dies unexpectedly (default true). */
  supervise?: boolean;
  /**
   * Also listen on `<dir>/redis.sock` and hand out that socket's `unix://` URL (default true):
   * every Kith process runs on this host, and a round trip over a Unix socket costs about a
   * fifth less CPU than over loopback TCP. The TCP port stays open (redis-cli, Bull Board
   * elsewhere). Skipped when the path is too long for a socket (108 bytes on Linux).
   */
  unixSocket?: boolean;
}

/** The longest Unix socket path Linux and macOS accept (sun_path, less its terminating NUL). */
const MAX_SOCKET_PATH = 103;

export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Kill a server left behind by a process that died without cleaning up. A server whose owner
 * (recorded in the owner file) is alive is never touched: that owner is using it.
 */
async function reapStale(dir: string, pidFile: string, log?: Logger): Promise<void> {
  if (!existsSync(pidFile)) return;
  const owner = readOwner(dir);
  if (owner && owner.ownerPid !== process.pid && processAlive(owner.ownerPid)) {
    throw new Error(`the embedded Redis of ${dir} belongs to a running Kith process (pid ${owner.ownerPid}); it was left alone`);
  }
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmd.includes('redis-server')) return;
    process.kill(pid, 'SIGTERM');
  } catch {
    return; // not running (or no /proc): nothing to reap
  }
  // Its data files are ours next: wait until it has flushed them and gone.
  const deadline = Date.now() + 5000;
  while (processAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  log?.warn({ pid }, 'stopped a redis-server left behind by an earlier Kith process');
}

async function waitForPing(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode} during start-up`);
    const probe = connectRedis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      return;
    } catch (err) {
      lastErr = err;
    } finally {
      probe.disconnect();
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not answer within ${timeoutMs} ms: ${(lastErr as Error)?.message}`);
}

/**
 * Start a private redis-server on a free loopback port (and `<dir>/redis.sock`) with data under `dir` (AOF everysec,
 * noeviction: BullMQ must never lose keys to eviction), restart it if it dies, and stop it on
 * `stop()` or when this process exits.
 */
export async function startEmbeddedRedis(opts: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  if (!redisServerAvailable()) throw new RedisNotInstalledError();
  mkdirSync(opts.dir, { recursive: true });
  const pidFile = join(opts.dir, 'kith-redis.pid');
  await reapStale(opts.dir, pidFile, opts.log);
  const port = opts.port ?? (await freePort());
  const socket = join(opts.dir, 'redis.sock');
  const useSocket = opts.unixSocket !== false && Buffer.byteLength(socket) <= MAX_SOCKET_PATH && process.platform !== 'win32';
  if (useSocket) rmSync(socket, { force: true });
  const url = useSocket ? `unix://${socket}` : `redis://127.0.0.1:${port}`;
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', opts.dir, '--daemonize', 'no',
    ...(useSocket ? ['--unixsocket', socket, '--unixsocketperm', '700'] : []),
    '--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction',
    '--save', '', '--protected-mode', 'yes', '--loglevel', 'warning',
    ...(opts.extraArgs ?? []),
  ];
  let stopping = false;
  let child: ChildProcess;
  let restarts = 0;

  const launch = (): ChildProcess => {
    const c = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    c.stderr?.on('data', (d: Buffer) => opts.log?.warn({ redis: d.toString().trim() }, 'redis-server'));
    if (c.pid) {
      writeFileSync(pidFile, String(c.pid));
      writeFileSync(join(opts.dir, OWNER_FILE), JSON.stringify({ url, port, redisPid: c.pid, ownerPid: process.pid }));
    }
    c.on('exit', (code, signal) => {
      if (stopping) return;
      opts.log?.error({ code, signal }, 'embedded redis-server exited unexpectedly');
      if (opts.supervise === false || restarts >= 5) return;
      restarts++;
      setTimeout(() => {
        if (!stopping) child = launch();
      }, 200 * restarts).unref();
    });
    return c;
  };
  child = launch();
  const killOnExit = () => {
    try {
      child.kill('SIGTERM');
    } catch {
      /* already gone */
    }
  };
  process.once('exit', killOnExit);
  try {
    await waitForPing(url, child, 10_000);
  } catch (err) {
    stopping = true;
    child.kill('SIGKILL');
    throw err;
  }
  opts.log?.info({ url, dir: opts.dir }, 'embedded redis-server started');

  return {
    url,
    port,
    ownerPid: process.pid,
    get pid() {
      return child.pid;
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      process.off('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(pidFile, { force: true });
      rmSync(join(opts.dir, OWNER_FILE), { force: true });
      if (useSocket) rmSync(socket, { force: true });
    },
  };
}

const OWNER_FILE = 'kith-redis.json';
const STARTUP_LOCK = 'kith-redis.lock';

interface OwnerInfo {
  url: string;
  port?: number;
  redisPid: number;
  ownerPid: number;
}

function readOwner(dir: string): OwnerInfo | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, OWNER_FILE), 'utf8')) as OwnerInfo;
  } catch {
    return undefined;
  }
}

/** The embedded server a live Kith process other than this one runs on `dir`, if it answers. */
async function attachToLiveOwner(opts: EmbeddedRedisOptions): Promise<EmbeddedRedis | undefined> {
  const info = readOwner(opts.dir);
  if (!info || info.ownerPid === process.pid || !processAlive(info.ownerPid) || !processAlive(info.redisPid)) return undefined;
  // The owner restarts its server when it dies: give a restart a moment before giving up.
  const deadline = Date.now() + 5000;
  for (;;) {
    const probe = connectRedis(info.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      opts.log?.info({ url: info.url }, 'attached to the embedded redis-server of a running Kith process');
      return { url: info.url, port: info.port ?? Number(new URL(info.url).port), pid: info.redisPid, ownerPid: info.ownerPid, shared: true, stop: async () => undefined };
    } catch (err) {
      if (Date.now() > deadline || !processAlive(info.ownerPid)) {
        if (!processAlive(info.ownerPid)) return undefined;
        throw new Error(`the embedded Redis of ${opts.dir} (owned by Kith process ${info.ownerPid}) does not answer at ${info.url}: ${(err as Error).message}`);
      }
    } finally {
      probe.disconnect();
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Use the embedded server another live Kith process (say `kith start`) runs on this data dir;
 * otherwise start our own. A server whose owner died is reaped and replaced. Start-up is
 * exclusive per directory (the lock file `kith-redis.lock` holds the starting process's pid):
 * two processes starting together never both start a server; the second waits, then attaches.
 */
export async function attachOrStartEmbeddedRedis(opts: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  mkdirSync(opts.dir, { recursive: true });
  const lock = await pidLock(join(opts.dir, STARTUP_LOCK), 30_000, `starting the embedded Redis of ${opts.dir}`);
  try {
    return (await attachToLiveOwner(opts)) ?? (await startEmbeddedRedis(opts));
  } finally {
    lock.release();
  }
}
