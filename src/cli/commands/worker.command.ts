import { Command } from 'commander';
import { openRuntime } from '../../app/runtime.js';
import { exitAfterShutdown, onShutdown } from '../../app/shutdown.js';
import { loadDotenv } from '../../config/parse-env.js';
import { loadWorkerConfig, splitList } from '../../config/worker.config.js';
import { allQueues } from '../../queues/queue-registry.js';
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
    .option('--list', 'print the known queues and exit')
    .action(async (opts: { queues?: string; concurrency?: number; list?: boolean }) => {
      if (opts.list) {
        for (const q of allQueues()) console.log(`${q.name.padEnd(28)} ${q.group.padEnd(9)} ${q.description}`);
        return;
      }
      loadDotenv();
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
        queues: splitList(opts.queues) ?? cfg.queues,
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
