import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectRedis } from '../../src/redis/connection.js';
import { freePort } from '../../src/redis/free-port.js';

export const SENTINEL_MASTER = 'kith';

export interface SentinelSetup {
  /** `redis-sentinel://127.0.0.1:S1,…/kith`. */
  url: string;
  /** The port of the data node Sentinels name as master now. */
  master(): Promise<number>;
  command(port: number, ...args: (string | number)[]): Promise<unknown>;
  kill(port: number): Promise<void>;
  stop(): Promise<void>;
}

async function poll<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined | false>): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (${(last as Error).message})` : ''}`);
}

/**
 * A throwaway master, one replica and three Sentinels (quorum 2, `down-after-milliseconds`
 * 1000) on loopback ports, AOF on; ready when every Sentinel sees the replica and the other
 * Sentinels. `stop()` kills them all and removes their directory.
 */
export async function startRedisSentinel(o: { startTimeoutMs?: number } = {}): Promise<SentinelSetup> {
  const dir = mkdtempSync(join(tmpdir(), 'kith-sentinel-'));
  const procs = new Map<number, ChildProcess>();
  const command = async (port: number, ...args: (string | number)[]) => {
    const r = connectRedis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000, lazyConnect: true });
    r.on('error', () => undefined);
    try {
      await r.connect();
      return await r.call(String(args[0]), ...args.slice(1).map(String));
    } finally {
      r.disconnect();
    }
  };
  const stop = async () => {
    await Promise.all(
      [...procs.values()].map(async (c) => {
        if (c.exitCode !== null || c.signalCode !== null) return;
        const exited = once(c, 'exit');
        c.kill('SIGKILL');
        await exited;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  const sentinels: number[] = [];
  const startServer = (port: number, args: string[]) => {
    const d = join(dir, String(port));
    mkdirSync(d);
    procs.set(port, spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', d, '--appendonly', 'yes', '--save', '', '--maxmemory-policy', 'noeviction', ...args], { stdio: 'ignore' }));
  };
  const master = async () => Number(((await command(sentinels[0]!, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER)) as string[])[1]);
  try {
    const deadline = Date.now() + (o.startTimeoutMs ?? 30_000);
    const left = () => Math.max(1000, deadline - Date.now());
    const m = await freePort();
    const r = await freePort();
    startServer(m, []);
    startServer(r, ['--replicaof', '127.0.0.1', String(m)]);
    await poll('the replica in sync', left(), async () => String(await command(r, 'INFO', 'replication')).includes('master_link_status:up'));
    for (let i = 0; i < 3; i++) {
      const s = await freePort();
      const conf = join(dir, `sentinel-${s}.conf`);
      const lines = [`port ${s}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${m} 2`, `sentinel down-after-milliseconds ${SENTINEL_MASTER} 1000`, `sentinel failover-timeout ${SENTINEL_MASTER} 5000`];
      writeFileSync(conf, `${lines.join('\n')}\n`);
      procs.set(s, spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' }));
      sentinels.push(s);
    }
    for (const s of sentinels) {
      await poll(`Sentinel ${s} to see the replica and the other Sentinels`, left(), async () => {
        const replicas = (await command(s, 'SENTINEL', 'REPLICAS', SENTINEL_MASTER)) as unknown[];
        const others = (await command(s, 'SENTINEL', 'SENTINELS', SENTINEL_MASTER)) as unknown[];
        return replicas.length === 1 && others.length === 2;
      });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: `redis-sentinel://${sentinels.map((s) => `127.0.0.1:${s}`).join(',')}/${SENTINEL_MASTER}`,
    master,
    command,
    async kill(port) {
      const c = procs.get(port);
      if (!c) throw new Error(`nothing on port ${port}`);
      const exited = once(c, 'exit');
      c.kill('SIGKILL');
      await exited;
    },
    stop,
  };
}
