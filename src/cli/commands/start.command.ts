import { Command } from 'commander';
import { openRuntime } from '../../app/runtime.js';
import { coreSchedules, upsertSchedules } from '../../producers/schedules.producer.js';
import { loadTableMappings } from '../../tables/config/load-tables.js';
import { tableSchedules } from '../../tables/jobs/table-schedules.js';
import { exitAfterShutdown, onShutdown } from '../../app/shutdown.js';
import { loadHttpConfig } from '../../config/http.config.js';
import { loadDotenv } from '../../config/parse-env.js';
import { loadWorkerConfig, splitList } from '../../config/worker.config.js';
import { buildHttpServer } from '../../http/server.js';
import { hubHttpOptions } from '../../app/hub-http.js';
import { canonicalStoreReader, configuredSystems } from '../../app/hub-systems.js';
import { webRoutes } from '../../web/web.routes.js';
import { allQueues, servedQueues } from '../../queues/queue-registry.js';
import { buildHandlers } from '../../workers/handlers/index.js';
import { startWorkerHost, type WorkerHost } from '../../workers/worker-host.js';
import { BULL_BOARD_PATH } from '../../http/routes/bull-board.route.js';
import { startSyncRun } from '../../flows/start-run.js';
import { configFileGroups, loadKithConfig, resolveConfigPath } from '../../sync/kith-config.js';
import type { Runtime } from '../../app/runtime.js';

/**
 * A database that has never synced gets one run at start-up, so a fresh clone shows a people
 * graph at once (from the bundled examples when no config exists); later runs follow the
 * daily schedule or `kith sync`.
 */
async function firstRunSync(rt: Runtime): Promise<void> {
  const done = await rt.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM sync_runs');
  if (Number(done?.n ?? 0) > 0) return;
  const { file, isExample } = resolveConfigPath();
  try {
    const run = await startSyncRun({ db: rt.db, redisUrl: rt.redis.url, prefix: rt.redis.prefix, config: loadKithConfig(file), kind: 'first-run' });
    console.log(`  first sync: ${run.runId} over ${isExample ? 'the bundled sample exports' : file} (see \`kith status\`, \`kith people list\`)`);
    if (isExample) console.log('  your own data: write kith.config.yaml or set KITH_CONFIG (README, "Your own data")');
  } catch (err) {
    rt.log.warn({ err: (err as Error).message }, 'first sync not started');
  }
}

export function startCommand(): Command {
  return new Command('start')
    .description('run Kith: Redis (embedded unless REDIS_URL), the database, all workers and the HTTP server')
    .option('--queues <list>', 'serve only these queues in this process (comma-separated; default: all, or KITH_WORKER_QUEUES)')
    .option('--no-workers', 'run only the HTTP server (workers run elsewhere, e.g. `kith worker`)')
    .action(async (opts: { queues?: string; workers: boolean }) => {
      loadDotenv();
      const http = loadHttpConfig();
      const workerConfig = loadWorkerConfig();
      // Read (and validated) before anything starts: the core schedules and each mapped table's.
      const schedules = [...coreSchedules(), ...tableSchedules(loadTableMappings())];
      const rt = await openRuntime({ longRunning: true, exclusive: 'kith start' });
      const { log } = rt;
      let host: WorkerHost | undefined;
      const cleanups: Array<() => Promise<void>> = [];
      let server: Awaited<ReturnType<typeof buildHttpServer>> | undefined;
      try {
        if (opts.workers) {
          const handlers = buildHandlers({ db: rt.db, redisUrl: rt.redis.url, prefix: rt.redis.prefix, log, onClose: (f) => cleanups.push(f) });
          const list = splitList(opts.queues) ?? workerConfig.queues;
          // With a worker group (KITH_WORKER_GROUP), every queue and the group's own, or the list given.
          const group = workerConfig.group;
          const queues = group && !list ? [...handlers.map((h) => h.queue), ...servedQueues(undefined, group)!] : servedQueues(list, group);
          host = await startWorkerHost({
            redisUrl: rt.redis.url,
            prefix: rt.redis.prefix,
            handlers,
            queues,
            concurrency: workerConfig.concurrency,
            lockDurationMs: workerConfig.lockDurationMs,
            log,
          });
        }
        await upsertSchedules(rt.redis.url, rt.redis.prefix, schedules);
        const hub = hubHttpOptions(rt.db, process.env, log);
        server = await buildHttpServer({ redisUrl: rt.redis.url, prefix: rt.redis.prefix, db: rt.db, queues: allQueues([...configFileGroups(), ...(workerConfig.group ? [workerConfig.group] : [])]), admin: http.admin, log, ...hub, routes: [...hub.routes, webRoutes({ db: rt.db, systems: configuredSystems(), canonical: canonicalStoreReader(rt.db), admin: http.admin })] });
        const address = await server.app.listen({ host: http.host, port: http.port });
        const base = address.replace('[::1]', 'localhost');
        console.log(`Kith is running (database ${rt.db.describe}, Redis ${rt.redis.embedded ? 'embedded' : 'from REDIS_URL'}).`);
        console.log(`  web view:   ${base}/${http.admin ? ' (user ' + http.admin.user + ')' : ''}`);
        console.log(`  health:     ${base}/health`);
        console.log(`  Bull Board: ${base}${BULL_BOARD_PATH}${http.admin ? ' (user ' + http.admin.user + ')' : ' (no login: loopback only)'}`);
        console.log(`  metrics:    ${base}/metrics`);
        await firstRunSync(rt);
        console.log('Press Ctrl-C to stop.');
      } catch (err) {
        await server?.close().catch(() => undefined);
        await host?.close(0).catch(() => undefined);
        await rt.close();
        throw err;
      }
      await onShutdown(async (signal) => {
        log.info(`${signal}: stopping (finishing active jobs for up to ${workerConfig.shutdownGraceMs} ms)`);
        await server?.close();
        await host?.close(workerConfig.shutdownGraceMs);
        for (const c of cleanups) await c();
        await rt.close();
        console.log('Kith stopped.');
      });
      exitAfterShutdown();
    });
}
