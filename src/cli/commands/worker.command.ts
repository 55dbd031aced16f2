import { Command } from 'commander';
import { openRuntime } from '../../app/runtime.js';
import { exitAfterShutdown, onShutdown } from '../../app/shutdown.js';
import { loadDotenv } from '../../config/parse-env.js';
import { loadWorkerConfig, splitList } from '../../config/worker.config.js';
import { allQueues, servedQueues, WORKER_GROUP_NAME } from '../../queues/queue-registry.js';
import { configFileGroups } from '../../sync/kith-config.js';
import { buildHandlers } from '../../workers/handlers/index.js';
import { startWorkerHost } from '../../workers/worker-host.js';
import { CliError } from '../cli-error.js';

export function workerCommand(): Command {
  return new Command('worker')
    .description('serve some queues in this process (one process per source in a deployment); needs REDIS_URL')
    .option('--queues <list>', 'comma-separated queue names (default: KITH_WORKER_QUEUES, else all)')
    .option('--concurrency <n>', 'jobs at once per queue (default: per-queue setting)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new CliError(`--concurrency: expected a whole number ≥ 1, got '${v}'`);
      return n;
    })
    .option('--group <name>', "this host's worker group (default: KITH_WORKER_GROUP): serve the group's source queues, for sources whose entry names it (`group: <name>`)", (v) => {
      if (!WORKER_GROUP_NAME.test(v)) throw new CliError(`--group: a worker group name is lowercase letters, digits and dashes, got '${v}'`);
      return v;
    })
    .option('--list', "print the known queues (with the worker groups' queues the configuration names) and exit")
    .action(async (opts: { queues?: string; group?: string; concurrency?: number; list?: boolean }) => {
      loadDotenv();
      // The group this process serves is KITH_WORKER_GROUP for everything in it (a missing file names it).
      if (opts.group) process.env.KITH_WORKER_GROUP = opts.group;
      if (opts.list) {
        const groups = [...configFileGroups(), ...(process.env.KITH_WORKER_GROUP ? [process.env.KITH_WORKER_GROUP] : [])];
        const queues = allQueues(groups);
        const width = Math.max(28, ...queues.map((q) => q.name.length + 1));
        for (const q of queues) console.log(`${q.name.padEnd(width)} ${q.group.padEnd(9)} ${q.description}`);
        return;
      }
      if (!process.env.REDIS_URL) {
        throw new CliError('kith worker needs REDIS_URL: the Redis that `kith start` or docker compose runs (workers must share one Redis)');
      }
      const cfg = loadWorkerConfig();
      const cleanups: Array<() => Promise<void>> = [];
      const rt = await openRuntime({ embeddedRedis: false, longRunning: true });
      const host = await startWorkerHost({
        redisUrl: rt.redis.url,
        prefix: rt.redis.prefix,
        handlers: buildHandlers({ db: rt.db, redisUrl: rt.redis.url, prefix: rt.redis.prefix, log: rt.log, onClose: (f) => cleanups.push(f) }),
        queues: servedQueues(splitList(opts.queues) ?? cfg.queues, cfg.group),
        concurrency: opts.concurrency ?? cfg.concurrency,
        lockDurationMs: cfg.lockDurationMs,
        log: rt.log,
      }).catch(async (err) => {
        await rt.close();
        throw new CliError((err as Error).message);
      });
      console.error(`kith worker: serving ${host.queues.join(', ')}`);
      await onShutdown(async () => {
        await host.close(cfg.shutdownGraceMs);
        for (const c of cleanups) await c();
        await rt.close();
      });
      exitAfterShutdown();
    });
}

