import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { workerNodeFlags } from '../config/worker.config.js';
import { createRedis } from '../redis/connection.js';
import { openQueue } from '../redis/queue-objects.js';

/** How long `add` waits for its processes to serve their queues. */
const WORKER_START_MS = 120_000;

const KITH_BIN = resolve(import.meta.dirname, '../../bin/kith.mjs');

/**
 * Queues among `names` that no worker (in any process) is serving right now. With `failFast`,
 * an unreachable Redis is an error at once instead of a wait for it to come back.
 */
export async function queuesWithoutWorkers(redisUrl: string, prefix: string, names: readonly string[], opts: { failFast?: boolean } = {}): Promise<string[]> {
  const conn = createRedis(redisUrl, { name: `kith:${prefix}:worker-probe`, failFast: opts.failFast });
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

/** One `kith worker` process this process started, and the queues it serves. */
export interface WorkerProcess {
  queues: string[];
  process: ChildProcess;
  restarts: number;
}

/**
 * Split queues over worker processes: source queues parse in parallel across cores (each
 * process serves a share of them), the pipeline's and other queues share one more process.
 */
export function workerGroups(queues: readonly string[], isSource: (q: string) => boolean, cores: number): string[][] {
  const sources = queues.filter(isSource);
  const rest = queues.filter((q) => !isSource(q));
  const n = Math.max(1, Math.min(sources.length, cores));
  return [...Array.from({ length: n }, (_, i) => sources.filter((_q, j) => j % n === i)), rest].filter((g) => g.length);
}

/**
 * The `kith worker` processes started for a run's duration: each group of queues in a process
 * of its own, sharing this process's Redis and database settings, with the heap limit of
 * KITH_WORKER_HEAP_MB. A process that exits while the pool is open is started again, up to
 * `maxRestarts` times per group.
 */
export class WorkerPool {
  readonly members: WorkerProcess[] = [];
  private stopping = false;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly redisUrl: string,
    private readonly prefix: string,
    private readonly maxRestarts = 3,
  ) {}

  private launch(queues: readonly string[]): ChildProcess {
    const flags = workerNodeFlags(this.env);
    // The queues are named in full: a worker group of this host would turn a source queue into its group's.
    const { KITH_WORKER_GROUP: _group, ...env } = this.env;
    return spawn(process.execPath, [...flags, KITH_BIN, 'worker', '--queues', queues.join(',')], {
      env: { ...env, REDIS_URL: this.redisUrl, KITH_QUEUE_PREFIX: this.prefix },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }

  /**
   * Start one process per group and wait until every queue has a worker: as long as the processes
   * live, up to 2 minutes (a loaded machine can take tens of seconds to load a worker's modules).
   */
  async add(groups: readonly string[][]): Promise<WorkerProcess[]> {
    const added = groups.filter((g) => g.length).map((g) => ({ queues: [...g], process: this.launch(g), restarts: 0 }));
    this.members.push(...added);
    await this.waitServing(added);
    return added;
  }

  private async waitServing(members: readonly WorkerProcess[]): Promise<void> {
    const all = members.flatMap((m) => m.queues);
    const deadline = Date.now() + WORKER_START_MS;
    for (let waiting = await queuesWithoutWorkers(this.redisUrl, this.prefix, all); waiting.length; waiting = await queuesWithoutWorkers(this.redisUrl, this.prefix, all)) {
      const dead = members.find((m) => m.process.exitCode !== null || m.process.signalCode !== null);
      if (dead) throw new Error(`the worker process for ${dead.queues.join(', ')} exited with ${exitDescription(dead.process)} during start-up`);
      if (Date.now() > deadline) throw new Error(`worker processes did not start within ${WORKER_START_MS / 1000} s: no worker serves ${waiting.join(', ')} yet (is the machine overloaded, or Redis unreachable from them?)`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Queues served by a process of this pool that is running now. */
  servedQueues(): Set<string> {
    return new Set(this.members.filter((m) => m.process.exitCode === null && m.process.signalCode === null).flatMap((m) => m.queues));
  }

  /**
   * Start again every process of the pool that has exited (without waiting: one that dies again
   * is found by the next call); returns one line per restart. Throws,
   * naming the queues and how the process ended, once a group has used up its restarts.
   */
  async restartExited(): Promise<string[]> {
    if (this.stopping) return [];
    const lines: string[] = [];
    for (const m of this.members) {
      if (m.process.exitCode === null && m.process.signalCode === null) continue;
      const how = exitDescription(m.process);
      if (m.restarts >= this.maxRestarts) {
        throw new Error(`the worker process for ${m.queues.join(', ')} exited with ${how} after ${m.restarts} restart(s): giving up`);
      }
      m.restarts++;
      m.process = this.launch(m.queues);
      lines.push(`the worker process for ${m.queues.join(', ')} exited with ${how}: started it again (restart ${m.restarts} of ${this.maxRestarts})`);
    }
    return lines;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.members.map(
        ({ process: p }) =>
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
  }
}

function exitDescription(p: ChildProcess): string {
  return p.signalCode ? `signal ${p.signalCode}` : `code ${p.exitCode}`;
}
