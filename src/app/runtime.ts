import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadCoreConfig, type CoreConfig } from '../config/core.config.js';
import { loadDbConfig } from '../config/db.config.js';
import { loadDotenv } from '../config/parse-env.js';
import { loadRedisConfig, type RedisConfig } from '../config/redis.config.js';
import type { Db } from '../db/db.js';
import { openDb } from '../db/open-db.js';
import { SqliteDb } from '../db/sqlite-db.js';
import { createLogger, type Logger } from '../log/logger.js';
import { checkEvictionPolicy, createRedis } from '../redis/connection.js';
import { attachOrStartEmbeddedRedis, type EmbeddedRedis } from '../redis/embedded-redis.js';
import { type PidLock, processAlive, tryPidLock } from '../support/pid-lock.js';

/** What a Kith process holds open: configuration, Redis (own or embedded), the database. */
export interface Runtime {
  core: CoreConfig;
  redis: RedisConfig & { url: string; embedded?: EmbeddedRedis };
  db: Db;
  log: Logger;
  /**
   * When this process shares the embedded Redis of another Kith process and that process has
   * gone (taking its server with it), start the server again here: same data directory, same
   * Unix socket, so every client and worker reconnects on its own. Returns true when it did.
   */
  takeOverRedis(): Promise<boolean>;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** Start an embedded redis-server when REDIS_URL is unset (default true). */
  embeddedRedis?: boolean;
  log?: Logger;
  /** A server or worker: SQLite's log is checkpointed by a background thread, never inside a job's commit. */
  longRunning?: boolean;
  /**
   * Only one process of this kind per data directory (`kith start`): a second one is refused
   * with the data directory and the pid of the one running. Held until `close()`.
   */
  exclusive?: string;
}

/** The lock file that keeps a second `kith start` off a data directory. */
export const startLockFile = (dataDir: string) => join(dataDir, 'kith-start.pid');

/** How long a server or worker waits at start-up for an external Redis that does not answer yet. */
const STARTUP_WAIT_MS = 30_000;

/** Pings Redis (and checks its eviction policy), trying again every second for up to `waitMs`. */
async function probeRedis(url: string, log: Logger, waitMs: number): Promise<void> {
  const until = Date.now() + waitMs;
  for (let said = false; ; ) {
    const probe = createRedis(url, { failFast: true, name: 'kith-probe' });
    try {
      await probe.ping();
      await checkEvictionPolicy(probe, log);
      return;
    } catch (err) {
      if (Date.now() >= until) throw err;
      if (!said) log.warn(`Redis does not answer yet (${(err as Error).message}); waiting up to ${Math.round(waitMs / 1000)} s for it`);
      said = true;
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      probe.disconnect();
    }
  }
}

export async function openRuntime(opts: RuntimeOptions = {}): Promise<Runtime> {
  loadDotenv();
  const core = loadCoreConfig();
  const dbConfig = loadDbConfig(core.dataDir);
  const log = opts.log ?? createLogger(core.logLevel);
  let exclusive: PidLock | undefined;
  if (opts.exclusive) {
    mkdirSync(core.dataDir, { recursive: true });
    const { lock, holder } = tryPidLock(startLockFile(core.dataDir));
    if (!lock) throw new Error(`${opts.exclusive} is already running on the data directory ${core.dataDir} (pid ${holder ?? '?'}): stop it first, or give this one its own KITH_DATA_DIR`);
    exclusive = lock;
  }
  try {
    return await open(core, dbConfig, log, opts, () => exclusive?.release());
  } catch (err) {
    exclusive?.release();
    throw err;
  }
}

async function open(core: CoreConfig, dbConfig: ReturnType<typeof loadDbConfig>, log: Logger, opts: RuntimeOptions, releaseExclusive: () => void): Promise<Runtime> {
  const redisConfig = loadRedisConfig();

  let embedded: EmbeddedRedis | undefined;
  let url = redisConfig.url;
  if (!url) {
    if (opts.embeddedRedis === false) throw new Error('REDIS_URL is not set and this command does not start its own Redis');
    embedded = await attachOrStartEmbeddedRedis({ dir: join(core.dataDir, 'redis'), log });
    url = embedded.url;
  }
  try {
    // A server or worker started during a Redis restart or failover waits for it (and says so once); a command fails at once.
    await probeRedis(url, log, opts.longRunning && !embedded ? STARTUP_WAIT_MS : 0);
  } catch (err) {
    await embedded?.stop();
    throw new Error(`cannot reach Redis at ${redisConfig.url ? 'REDIS_URL' : url}: ${(err as Error).message}`);
  }
  let db: Db;
  try {
    db = await openDb(dbConfig);
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
  if (opts.longRunning && db instanceof SqliteDb) db.checkpointInBackground({ onError: (message) => log.warn(message) });
  const redisDir = join(core.dataDir, 'redis');
  const rt: Runtime = {
    core,
    redis: { ...redisConfig, url, embedded },
    db,
    log,
    async takeOverRedis() {
      const shared = rt.redis.embedded;
      if (!shared?.shared || shared.ownerPid === undefined || processAlive(shared.ownerPid)) return false;
      const own = await attachOrStartEmbeddedRedis({ dir: redisDir, log });
      if (own.url !== rt.redis.url) {
        await own.stop();
        throw new Error(`the Kith process (pid ${shared.ownerPid}) whose Redis this one shared has stopped, and its server cannot be taken over at ${rt.redis.url}`);
      }
      embedded = own;
      rt.redis.embedded = own;
      return true;
    },
    async close() {
      await db.close().catch(() => undefined);
      await embedded?.stop();
      releaseExclusive();
    },
  };
  return rt;
}
