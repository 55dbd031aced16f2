/**
 * The sync's fault-injection scenarios: the daily DAG run by `kith sync` with worker processes
 * split as docker-compose.yml splits them (one per source queue, one for the pipeline) on an
 * external redis-server with AOF everysec, while a worker process, Redis or a database write
 * fails. After each the final people, interactions, relationships and counts must equal a clean
 * run of the same data (chaos/support/sync-snapshot.ts).
 */
import type { ChaosScenario } from '../scenario.js';
import { sleep, until } from '../support/processes.js';
import { cleanReference, crashedWorkers, deploy, judge, LOCK_MS, parseReport, stepReaches, stepState, withProcs } from '../support/sync-deployment.js';

const BOTH = ['sqlite', 'postgres'] as const;
/** How long a `kith sync` may follow a run in a scenario before it is a failure. */
const syncTimeoutS = (fast: boolean) => (fast ? 90 : 300);

/**
 * SIGKILL the worker process of `group` while it runs `stepId`, start it again at once: the job
 * runs again within 1.5 × the job lock, the run succeeds, and the data equals the clean run's.
 * `at` is how far into the step's clean duration the kill lands (0: as soon as it is running).
 */
function killWorker(name: string, group: string, stepId: string, at: number, fast: boolean): ChaosScenario {
  return {
    name,
    description: `SIGKILL the ${group} worker process during ${stepId} and restart it: the job runs again within 1.5 × the job lock, the run succeeds, and the data equals a clean run's`,
    engines: BOTH,
    fast,
    budgetSeconds: (f) => (f ? 60 : 240),
    run: (ctx) =>
      withProcs(ctx, async (procs) => {
        const ref = await cleanReference(ctx);
        const d = await deploy(ctx, procs);
        const db = await d.read();
        const discrepancies: string[] = [];
        const sync = d.sync('kith sync', syncTimeoutS(ctx.fast));
        await stepReaches(db, stepId, ['running'], 60_000, ctx.signal);
        const wait = Math.round(at * (ref.stepSeconds[stepId] ?? 0) * 1000);
        if (wait) await sleep(wait, ctx.signal);
        const victim = d.workers.get(group)!;
        victim.child.kill('SIGKILL');
        await victim.exited;
        const atKill = await stepState(db, stepId);
        ctx.log(`killed the ${group} worker (pid ${victim.pid}) ${wait} ms into ${stepId}: step ${atKill?.status}, attempt ${atKill?.attempts}`);
        if (atKill?.status !== 'running') discrepancies.push(`the fault missed: ${stepId} was ${atKill?.status} when its worker was killed`);
        const killedAt = Date.now();
        const restarted = Date.now();
        await d.startWorker(group);
        const serving_s = (Date.now() - restarted) / 1000;
        let recovery_s: number | null = null;
        try {
          await until(`${stepId} to run again`, 4 * LOCK_MS, async () => ((await stepState(db, stepId))?.attempts ?? 0) > (atKill?.attempts ?? 1), ctx.signal, 25);
          recovery_s = (Date.now() - restarted) / 1000;
          ctx.log(`${stepId} ran again ${recovery_s} s after the restart (${((Date.now() - killedAt) / 1000).toFixed(2)} s after the kill; the new worker served its queues after ${serving_s} s)`);
          if (recovery_s > (1.5 * LOCK_MS) / 1000) discrepancies.push(`${stepId} ran again ${recovery_s.toFixed(1)} s after the restart, more than 1.5 × the job lock (${(1.5 * LOCK_MS) / 1000} s)`);
        } catch (err) {
          discrepancies.push((err as Error).message);
        }
        const exit = await sync.exited;
        const report = parseReport(sync.stdout());
        if (exit.code !== 0 || report?.status !== 'succeeded') discrepancies.push(`kith sync exited ${exit.code ?? exit.signal} with the run ${report?.status ?? 'unreported'}: ${sync.stderr().trim().split('\n').slice(-3).join(' | ')}`);
        discrepancies.push(...crashedWorkers(d));
        return judge(ctx, d.db.config, discrepancies, { recovery_s, details: { killed_after_ms: wait, restart_to_serving_s: serving_s, lock_ms: LOCK_MS, attempts: (await stepState(db, stepId))?.attempts } });
      }),
  };
}

/**
 * Stop Redis with `signal` during the mbox collection, start it again after an outage: no worker
 * process crashes (they reconnect), the run completes or is reported failed, and then (after a
 * second `kith sync` when it did not succeed) the data equals the clean run's.
 */
function redisFault(name: string, signal: 'SIGTERM' | 'SIGKILL', fast: boolean): ChaosScenario {
  return {
    name,
    description: `${signal} Redis during collection and restart it (AOF everysec): no process crashes, the run completes or fails and a re-run reaches the clean result`,
    engines: BOTH,
    fast,
    budgetSeconds: (f) => (f ? 90 : 360),
    run: (ctx) =>
      withProcs(ctx, async (procs) => {
        const ref = await cleanReference(ctx);
        const d = await deploy(ctx, procs);
        const db = await d.read();
        const discrepancies: string[] = [];
        const sync = d.sync('kith sync', syncTimeoutS(ctx.fast));
        await stepReaches(db, 'collect:mbox', ['running'], 60_000, ctx.signal);
        const wait = Math.round((ctx.fast ? 0.1 : 0.4) * (ref.stepSeconds['collect:mbox'] ?? 0) * 1000);
        await sleep(wait, ctx.signal);
        const atFault = await stepState(db, 'collect:mbox');
        const redis = d.redis.proc();
        redis.child.kill(signal);
        const down = await redis.exited;
        ctx.log(`Redis stopped by ${signal} (${down.code ?? down.signal}) ${wait} ms into collect:mbox (step ${atFault?.status})`);
        if (atFault?.status !== 'running') discrepancies.push(`the fault missed: collect:mbox was ${atFault?.status} when Redis was stopped`);
        const outageMs = ctx.fast ? 1500 : 5000;
        await sleep(outageMs, ctx.signal);
        await d.redis.restart();
        const restarted = Date.now();
        ctx.log('Redis started again');
        const exit = await sync.exited;
        const report = parseReport(sync.stdout());
        const first = { exit: exit.code ?? exit.signal, status: report?.status ?? 'unreported' };
        ctx.log(`kith sync exited ${first.exit}, run ${first.status}`);
        let recovery_s = (Date.now() - restarted) / 1000;
        if (exit.signal || ![0, 1, 2].includes(exit.code ?? -1)) discrepancies.push(`kith sync ended with ${exit.code ?? exit.signal} (a crash, not a run outcome): ${sync.stderr().trim().split('\n').slice(-3).join(' | ')}`);
        if (/\n\s+at .+\(.+:\d+:\d+\)/.test(sync.stderr())) discrepancies.push(`kith sync printed a stack trace: ${sync.stderr().slice(0, 600)}`);
        discrepancies.push(...crashedWorkers(d));
        let rerun: unknown;
        if (report?.status !== 'succeeded') {
          // Reported failed (or not at all): a second kith sync must reach the clean result.
          const again = d.sync('kith sync (re-run)', syncTimeoutS(ctx.fast));
          const e2 = await again.exited;
          const r2 = parseReport(again.stdout());
          rerun = { exit: e2.code ?? e2.signal, status: r2?.status ?? 'unreported' };
          recovery_s = (Date.now() - restarted) / 1000;
          if (e2.code !== 0 || r2?.status !== 'succeeded') discrepancies.push(`the re-run kith sync exited ${e2.code ?? e2.signal} with the run ${r2?.status ?? 'unreported'}: ${again.stderr().trim().split('\n').slice(-3).join(' | ')}`);
        }
        const workerErrors = [...d.workers].map(([g, p]) => [g, p.stderr().split('\n').filter((l) => /\bat .+:\d+:\d+\)?$/.test(l)).length] as const).filter(([, n]) => n > 0);
        if (workerErrors.length) discrepancies.push(`stack traces in worker output: ${workerErrors.map(([g, n]) => `${g} ${n} lines`).join(', ')}`);
        return judge(ctx, d.db.config, discrepancies, { recovery_s, details: { fault_after_ms: wait, outage_ms: outageMs, first_run: first, rerun } });
      }),
  };
}

export const scenarios: ChaosScenario[] = [
  killWorker('kill-source-worker', 'source-mbox', 'collect:mbox', 0.25, true),
  killWorker('kill-pipeline-worker', 'pipeline', 'relationships', 0, false),
  redisFault('redis-restart', 'SIGTERM', true),
  redisFault('redis-kill', 'SIGKILL', false),
];

