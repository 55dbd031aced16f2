import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connectRedis } from '../../src/redis/connection.js';
import { freePort } from '../../src/redis/free-port.js';

const run = promisify(execFile);

export interface ClusterNode {
  port: number;
  child: ChildProcess;
  args: string[];
}

export interface RedisClusterHandle {
  /** `redis-cluster://127.0.0.1:P1,…` naming every node. */
  url: string;
  nodes: ClusterNode[];
  /** The port of the master serving the slot of `key` (for a hash tag, the slot of every key carrying it). */
  masterFor(key: string): Promise<number>;
  /** One command on one node, over its own short-lived connection. */
  command(port: number, ...args: (string | number)[]): Promise<unknown>;
  /** Every key on every live master. */
  allKeys(): Promise<string[]>;
  /** SIGKILL one node. */
  kill(port: number): Promise<void>;
  /** Start a killed node again on its directory: it rejoins, as a replica of whoever took over its slots, once its link to that master is up. */
  restart(port: number, timeoutMs?: number): Promise<void>;
  /** Resolves when every live node reports `cluster_state:ok` and every slot has a live master. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  masters?: number;
  /** `cluster-node-timeout`: how long a master may be unreachable before its replica takes over. */
  nodeTimeoutMs?: number;
  /** The whole start-up must finish within this time. */
  startTimeoutMs?: number;
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
 * A throwaway Redis Cluster on loopback: `masters` masters with one replica each (six
 * redis-servers by default, AOF on, `cluster-port` chosen free as well), created with
 * `redis-cli --cluster create` and ready when every node reports `cluster_state:ok` and every
 * replica's link to its master is up. `stop()` kills every node and removes their directory.
 */
export async function startRedisCluster(o: RedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const count = (o.masters ?? 3) * 2;
  const startTimeout = o.startTimeoutMs ?? 30_000;
  const dir = mkdtempSync(join(tmpdir(), 'kith-cluster-'));
  const nodes: ClusterNode[] = [];
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
      nodes.map(async (n) => {
        if (n.child.exitCode !== null || n.child.signalCode !== null) return;
        const exited = once(n.child, 'exit');
        n.child.kill('SIGKILL');
        await exited;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  const replicating = (p: number, timeoutMs: number) =>
    poll(`node ${p} replication`, timeoutMs, async () => {
      const info = String(await command(p, 'INFO', 'replication'));
      return info.includes('role:master') ? /connected_slaves:1/.test(info) : info.includes('master_link_status:up');
    });
  const live = () => nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null);
  const waitHealthy = async (timeoutMs = 20_000) => {
    // A node reports cluster_state:ok until it has seen a dead master fail (cluster-node-timeout
    // later), so health also means: every live node maps every slot to a live master.
    await poll('cluster_state:ok and every slot served by a live master on every live node', timeoutMs, async () => {
      const ports = new Set(live().map((n) => n.port));
      for (const n of live()) {
        if (!String(await command(n.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
        const slots = (await command(n.port, 'CLUSTER', 'SLOTS')) as [number, number, [string, number, string]][];
        let covered = 0;
        for (const [from, to, master] of slots) {
          if (!ports.has(Number(master[1]))) return false;
          covered += to - from + 1;
        }
        if (covered !== 16384) return false;
      }
      return true;
    });
  };
  try {
    const used = new Set<number>();
    const port = async () => {
      for (;;) {
        const p = await freePort();
        if (!used.has(p)) {
          used.add(p);
          return p;
        }
      }
    };
    for (let i = 0; i < count; i++) {
      const p = await port();
      const bus = await port();
      const nodeDir = join(dir, String(p));
      mkdirSync(nodeDir);
      const args = ['--port', p, '--cluster-port', bus, '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', o.nodeTimeoutMs ?? 2000, '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', nodeDir, '--save', '', '--protected-mode', 'no', '--maxmemory-policy', 'noeviction'];
      const child = spawn('redis-server', args.map(String), { stdio: 'ignore' });
      nodes.push({ port: p, child, args: args.map(String) });
    }
    const deadline = Date.now() + startTimeout;
    const left = () => Math.max(1000, deadline - Date.now());
    for (const n of nodes) await poll(`redis-server on ${n.port}`, left(), async () => (await command(n.port, 'PING')) === 'PONG');
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'], { timeout: left() });
    await waitHealthy(left());
    // Failover needs each replica in sync with its master.
    for (const n of nodes) await replicating(n.port, left());
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: `redis-cluster://${nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`,
    nodes,
    command,
    async masterFor(key) {
      const slot = Number(await command(live()[0]!.port, 'CLUSTER', 'KEYSLOT', key));
      for (const n of live()) {
        const slots = (await command(n.port, 'CLUSTER', 'SLOTS')) as [number, number, [string, number, string]][];
        const range = slots.find(([from, to]) => slot >= from && slot <= to);
        if (range) return Number(range[2][1]);
      }
      throw new Error(`no live node knows slot ${slot}`);
    },
    async allKeys() {
      const keys: string[] = [];
      for (const n of live()) {
        if (!String(await command(n.port, 'INFO', 'replication')).includes('role:master')) continue;
        let cursor = '0';
        do {
          const [next, batch] = (await command(n.port, 'SCAN', cursor, 'COUNT', 1000)) as [string, string[]];
          keys.push(...batch);
          cursor = next;
        } while (cursor !== '0');
      }
      return keys;
    },
    async kill(p) {
      const n = nodes.find((x) => x.port === p);
      if (!n) throw new Error(`no node on port ${p}`);
      const exited = once(n.child, 'exit');
      n.child.kill('SIGKILL');
      await exited;
    },
    async restart(p, timeoutMs = 20_000) {
      const n = nodes.find((x) => x.port === p);
      if (!n) throw new Error(`no node on port ${p}`);
      if (n.child.exitCode === null && n.child.signalCode === null) throw new Error(`node ${p} is running`);
      n.child = spawn('redis-server', n.args, { stdio: 'ignore' });
      await replicating(p, timeoutMs);
      await waitHealthy(timeoutMs);
    },
    waitHealthy,
    stop,
  };
}
