import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { workerNodeFlags } from '../config/worker.config.js';
import { createRedis } from '../redis/connection.js';
import { openQueue } from '../redis/queue-objects.js';

const KITH_BIN = resolve(import.meta.dirname, '../../bin/kith.mjs');

/** Queues among `names` that no worker (in any process) is serving right now. */
export async function queuesWithoutWorkers(redisUrl: string, prefix: string, names: readonly string[]): Promise<string[]> {
  const conn = createRedis(redisUrl, { name: `kith:${prefix}:worker-probe` });
  try {
    const missing: string[] = [];
    for (const n of names) {
      const q = openQueue(n, { connection: conn, prefix });
      if ((await q.getWorkersCount()) === 0) missing.push(n);
      await q.close();
    }
    return missing;
  } finally {
    await conn.quit().catch(() => conn.disconnect());
  }
}

export interface SpawnedWorkers {
  processes: ChildProcess[];
  stop(): Promise<void>;
}

/**
 * Start `kith worker` processes for a run's duration: each group of queues in a process of its
 * own (sources apart from the pipeline), sharing this process's Redis and database settings,
 * with the heap limit of KITH_WORKER_HEAP_MB.
 */
export async function spawnWorkers(groups: readonly string[][], env: NodeJS.ProcessEnv, redisUrl: string, prefix: string): Promise<SpawnedWorkers> {
  const flags = workerNodeFlags(env);
  const processes = groups
    .filter((g) => g.length)
    .map((g) => spawn(process.execPath, [...flags, KITH_BIN, 'worker', '--queues', g.join(',')], { env: { ...env, REDIS_URL: redisUrl, KITH_QUEUE_PREFIX: prefix }, stdio: ['ignore', 'ignore', 'inherit'] }));
  const all = groups.flat();
  const deadline = Date.now() + 30_000;
  while ((await queuesWithoutWorkers(redisUrl, prefix, all)).length) {
    const dead = processes.find((p) => p.exitCode !== null);
    if (dead) throw new Error(`a worker process exited with code ${dead.exitCode} during start-up`);
    if (Date.now() > deadline) throw new Error('worker processes did not start within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    processes,
    async stop() {
      await Promise.all(
        processes.map(
          (p) =>
            new Promise<void>((res) => {
              if (p.exitCode !== null || p.signalCode !== null) return res();
              const t = setTimeout(() => p.kill('SIGKILL'), 15_000);
              p.once('exit', () => {
                clearTimeout(t);
                res();
              });
              p.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
