import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import { connectRedis } from './connection.js';
import { freePort } from './free-port.js';

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

/** Kill a server left behind by a process that died without cleaning up. */
function reapStale(pidFile: string, log?: Logger): void {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmd.includes('redis-server')) return;
    process.kill(pid, 'SIGTERM');
    log?.warn({ pid }, 'stopped a redis-server left behind by an earlier Kith process');
  } catch {
    /* not running (or no /proc): nothing to reap */
  }
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
  reapStale(pidFile, opts.log);
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

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Use the embedded server another live Kith process (say `kith start`) runs on this data dir;
 * otherwise start our own. A server whose owner died is reaped and replaced.
 */
export async function attachOrStartEmbeddedRedis(opts: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const file = join(opts.dir, OWNER_FILE);
  if (existsSync(file)) {
    try {
      const info = JSON.parse(readFileSync(file, 'utf8')) as { url: string; port?: number; redisPid: number; ownerPid: number };
      if (info.ownerPid !== process.pid && processAlive(info.ownerPid) && processAlive(info.redisPid)) {
        const probe = connectRedis(info.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
        probe.on('error', () => undefined);
        try {
          await probe.connect();
          await probe.ping();
          opts.log?.info({ url: info.url }, 'attached to the embedded redis-server of a running Kith process');
          return { url: info.url, port: info.port ?? Number(new URL(info.url).port), pid: info.redisPid, shared: true, stop: async () => undefined };
        } finally {
          probe.disconnect();
        }
      }
    } catch {
      /* unreadable or dead: start our own below */
    }
  }
  return startEmbeddedRedis(opts);
}
