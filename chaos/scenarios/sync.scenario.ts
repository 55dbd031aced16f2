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
        const restarted = Date.now();
        await d.startWorker(group);
        let recovery_s: number | null = null;
        try {
          await until(`${stepId} to run again`, 4 * LOCK_MS, async () => ((await stepState(db, stepId))?.attempts ?? 0) > (atKill?.attempts ?? 1), ctx.signal, 25);
          recovery_s = (Date.now() - restarted) / 1000;
          if (recovery_s > (1.5 * LOCK_MS) / 1000) discrepancies.push(`${stepId} ran again ${recovery_s.toFixed(1)} s after the restart, more than 1.5 × the job lock (${(1.5 * LOCK_MS) / 1000} s)`);
        } catch (err) {
          discrepancies.push((err as Error).message);
        }
        const exit = await sync.exited;
        const report = parseReport(sync.stdout());
        if (exit.code !== 0 || report?.status !== 'succeeded') discrepancies.push(`kith sync exited ${exit.code ?? exit.signal} with the run ${report?.status ?? 'unreported'}: ${sync.stderr().trim().split('\n').slice(-3).join(' | ')}`);
        discrepancies.push(...crashedWorkers(d));
        return judge(ctx, d.db.config, discrepancies, { recovery_s, details: { killed_after_ms: wait, lock_ms: LOCK_MS, attempts: (await stepState(db, stepId))?.attempts } });
      }),
  };
}

export const scenarios: ChaosScenario[] = [
  killWorker('kill-source-worker', 'source-mbox', 'collect:mbox', 0.4, true),
  killWorker('kill-pipeline-worker', 'pipeline', 'relationships', 0, false),
];

