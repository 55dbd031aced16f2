/**
 * The sync's fault-injection scenarios: the daily DAG run by `kith sync` with worker processes
 * split as docker-compose.yml splits them (one per source queue, one for the pipeline) on an
 * external redis-server with AOF everysec, while a worker process, Redis or a database write
 * fails. After each the final people, interactions, relationships and counts must equal a clean
 * run of the same data (chaos/support/sync-snapshot.ts).
 */
import type { ChaosScenario } from '../scenario.js';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { openDb } from '../../src/db/open-db.js';
import { freePort } from '../../src/redis/free-port.js';
import { redisServersUnder, sleep, until } from '../support/processes.js';
import { cleanReference, crashedWorkers, dataset, deploy, judge, LOCK_MS, parseReport, scenarioDb, SIZES, stepReaches, stepState, withProcs } from '../support/sync-deployment.js';

const BOTH = ['sqlite', 'postgres'] as const;
/** How long a `kith sync` may follow a run in a scenario before it is a failure. */
const syncTimeoutS = (fast: boolean) => (fast ? 90 : 420);

/**
 * SIGKILL the worker process of `group` while it runs `stepId`, start it again at once: the job
 * runs again within 1.5 × the job lock, the run succeeds, and the data equals the clean run's.
 * `at` is how far into the step's clean duration the kill lands (0: as soon as it is running;
 * always 0 with fast data, whose steps take about a second).
 */
function killWorker(name: string, group: string, stepId: string, at: number, fast: boolean): ChaosScenario {
  return {
    name,
    description: `SIGKILL the ${group} worker process during ${stepId} and restart it: the job runs again within 1.5 × the job lock, the run succeeds, and the data equals a clean run's`,
    engines: BOTH,
    fast,
    budgetSeconds: (f) => (f ? 90 : 600),
    run: (ctx) =>
      withProcs(ctx, async (procs) => {
        const ref = await cleanReference(ctx);
        const d = await deploy(ctx, procs);
        const db = await d.read();
        const discrepancies: string[] = [];
        const sync = d.sync('kith sync', syncTimeoutS(ctx.fast));
        await stepReaches(db, stepId, ['running'], syncTimeoutS(ctx.fast) * 1000, ctx.signal);
        // Fast data collects in about a second: kill as soon as the step runs.
        const wait = ctx.fast ? 0 : Math.round(at * (ref.stepSeconds[stepId] ?? 0) * 1000);
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
    budgetSeconds: (f) => (f ? 90 : 600),
    run: (ctx) =>
      withProcs(ctx, async (procs) => {
        const ref = await cleanReference(ctx);
        const d = await deploy(ctx, procs);
        const db = await d.read();
        const discrepancies: string[] = [];
        const sync = d.sync('kith sync', syncTimeoutS(ctx.fast));
        await stepReaches(db, 'collect:mbox', ['running'], syncTimeoutS(ctx.fast) * 1000, ctx.signal);
        const wait = ctx.fast ? 0 : Math.round(0.4 * (ref.stepSeconds['collect:mbox'] ?? 0) * 1000);
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

/** Two `kith sync` at the same moment on one data directory with its embedded Redis. */
const twoSyncs: ChaosScenario = {
  name: 'two-syncs',
  description: 'two kith sync started at the same moment on one data directory (embedded Redis): one run on one redis-server, both exit 0, the data equals a clean run\'s',
  engines: BOTH,
  fast: true,
  budgetSeconds: (f) => (f ? 90 : 480),
  run: (ctx) =>
    withProcs(ctx, async (procs) => {
      const data = await dataset(ctx.fast);
      await cleanReference(ctx);
      const dataDir = procs.tempDir('two-syncs');
      const db = await scenarioDb(ctx, procs, dataDir);
      const env = { KITH_CONFIG: data.config, KITH_DATA_DIR: dataDir, KITH_SHUTDOWN_GRACE_MS: '1000', ...db.env };
      const discrepancies: string[] = [];
      const seen = new Set<number>();
      let watching = true;
      const watch = (async () => {
        while (watching) {
          for (const pid of redisServersUnder(dataDir)) seen.add(pid);
          await sleep(20);
        }
      })();
      const timeoutMs = syncTimeoutS(ctx.fast) * 1000;
      const [a, b] = await Promise.all([procs.kithRun('kith sync (a)', ['sync', '--json'], env, timeoutMs, ctx.signal), procs.kithRun('kith sync (b)', ['sync', '--json'], env, timeoutMs, ctx.signal)]).finally(() => (watching = false));
      await watch;
      const ra = parseReport(a.stdout);
      const rb = parseReport(b.stdout);
      for (const [n, r, rep] of [['a', a, ra], ['b', b, rb]] as const) {
        if (r.code !== 0 || rep?.status !== 'succeeded') discrepancies.push(`kith sync (${n}) exited ${r.code ?? r.signal} with the run ${rep?.status ?? 'unreported'}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      }
      if (ra && rb && ra.runId !== rb.runId) discrepancies.push(`the two kith sync reported two runs: ${ra.runId} and ${rb.runId}`);
      if (seen.size !== 1) discrepancies.push(`${seen.size} redis-server processes ran for the data directory (pids ${[...seen].join(', ')}), not 1`);
      const rdb = await openDb(db.config, { migrate: false });
      try {
        const runs = await rdb.all<{ id: string }>('SELECT id FROM sync_runs');
        if (runs.length !== 1) discrepancies.push(`sync_runs holds ${runs.length} runs (${runs.map((r) => r.id).join(', ')}), not 1`);
      } finally {
        await rdb.close();
      }
      const left = redisServersUnder(dataDir);
      if (left.length) discrepancies.push(`redis-server still running after both kith sync exited (pids ${left.join(', ')})`);
      return judge(ctx, db.config, discrepancies, { details: { redis_servers: seen.size, runs: [ra?.runId, rb?.runId] } });
    }),
};

/** `kith start` twice on one data directory: the second is refused; the first keeps serving and finishes its first sync. */
const twoStarts: ChaosScenario = {
  name: 'two-starts',
  description: 'kith start twice on one data directory: the second is refused naming the directory and the pid; the first keeps serving, and its first sync equals a clean run',
  engines: BOTH,
  fast: false,
  budgetSeconds: (f) => (f ? 90 : 480),
  run: (ctx) =>
    withProcs(ctx, async (procs) => {
      const data = await dataset(ctx.fast);
      await cleanReference(ctx);
      const dataDir = procs.tempDir('two-starts');
      const db = await scenarioDb(ctx, procs, dataDir);
      const port = await freePort();
      const env = { KITH_CONFIG: data.config, KITH_DATA_DIR: dataDir, KITH_SHUTDOWN_GRACE_MS: '2000', KITH_PORT: String(port), ...db.env };
      const discrepancies: string[] = [];
      const first = procs.kith('kith start', ['start'], env);
      await until('the first kith start to be ready', 60_000, () => {
        if (!first.running()) throw new Error(`the first kith start exited: ${first.stderr().slice(-1500)}`);
        return first.stdout().includes('Press Ctrl-C to stop.');
      }, ctx.signal);
      const second = await procs.kithRun('kith start (second)', ['start'], { ...env, KITH_PORT: String(await freePort()) }, 60_000, ctx.signal);
      const said = second.stderr.trim();
      ctx.log(`the second kith start exited ${second.code ?? second.signal}: ${said.split('\n').slice(-2).join(' | ')}`);
      if (second.code === 0 || second.signal) discrepancies.push(`the second kith start was not refused: exit ${second.code ?? second.signal}`);
      if (!said.includes(dataDir) || !said.includes(`pid ${first.pid}`)) discrepancies.push(`the second kith start's message names neither the data directory ${dataDir} nor the first one's pid ${first.pid}: ${said.slice(-400)}`);
      if (!first.running()) discrepancies.push('the first kith start stopped');
      const health = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status, (e: Error) => e.message);
      if (health !== 200) discrepancies.push(`the first kith start's /health answered ${health} after the refusal`);
      // Its first sync (a fresh database) runs to the end under the first process, untouched.
      const rdb = await openDb(db.config, { migrate: false });
      let status = '';
      try {
        status = await until('the first sync of kith start to finish', syncTimeoutS(ctx.fast) * 1000, async () => {
          const r = await rdb.get<{ status: string }>('SELECT status FROM sync_runs ORDER BY started_at DESC LIMIT 1');
          return r && r.status !== 'running' ? r.status : undefined;
        }, ctx.signal, 250);
      } finally {
        await rdb.close();
      }
      if (status !== 'succeeded') discrepancies.push(`the first sync of kith start ended ${status}`);
      const stopped = first.stop('SIGTERM');
      const exit = await Promise.race([stopped, sleep(20_000).then(() => undefined)]);
      if (!exit) discrepancies.push('the first kith start did not stop within 20 s of SIGTERM');
      else if (exit.code !== 0) discrepancies.push(`the first kith start exited ${exit.code ?? exit.signal} on SIGTERM`);
      const left = redisServersUnder(dataDir);
      if (left.length) discrepancies.push(`redis-server still running after kith start stopped (pids ${left.join(', ')})`);
      return judge(ctx, db.config, discrepancies, { details: { second_exit: second.code, second_message: said.split('\n').pop() } });
    }),
};

/**
 * A database write fails in the middle of a transaction. PostgreSQL: a trigger installed by the
 * scenario raises on one insert into `interactions` half-way through the data. SQLite: the
 * database lives on a tmpfs mounted with `size=` at about half of what the data needs, so a write
 * fails with SQLITE_FULL ("database or disk is full"); once that failure is seen the file system
 * is grown (`mount -o remount,size=…`), as an operator freeing space would.
 * Nothing may be half-written: while the fault stands the cached counts verify against the
 * interactions, and at the end (after the step's retry, or a re-run when the run failed) the data
 * equals the clean run's.
 */
const dbWriteFailure: ChaosScenario = {
  name: 'db-write-failure',
  description: 'a database write fails mid-transaction (PostgreSQL: a trigger raising on one interactions insert; SQLite: a full size-limited tmpfs): nothing half-written, the step retries or fails loudly and a re-run equals a clean run',
  engines: BOTH,
  fast: false,
  budgetSeconds: (f) => (f ? 120 : 720),
  run: (ctx) =>
    withProcs(ctx, async (procs) => {
      const ref = await cleanReference(ctx);
      const discrepancies: string[] = [];
      let sqlitePath: string | undefined;
      let mountDir = '';
      let sizeBytes = 0;
      if (ctx.engine === 'sqlite') {
        mountDir = procs.tempDir('tmpfs');
        sizeBytes = Math.max(1 << 20, Math.round(ref.sqliteBytes * 0.5));
        execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', mountDir], { stdio: ['ignore', 'ignore', 'pipe'] });
        procs.onCleanup(() => execFileSync('umount', ['-l', mountDir], { stdio: 'ignore' }));
        sqlitePath = join(mountDir, 'kith.db');
      }
      const d = await deploy(ctx, procs, { sqlitePath });
      const db = await d.read();
      const failAt = Math.floor(SIZES[ctx.fast ? 'fast' : 'full'].interactions / 2);
      if (ctx.engine === 'postgres') {
        await db.exec(`
CREATE SEQUENCE chaos_interaction_rows;
CREATE FUNCTION chaos_fail_one_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- nextval is not rolled back with the failed transaction, so the fault fires once.
  IF nextval('chaos_interaction_rows') = ${failAt} THEN
    RAISE EXCEPTION 'chaos: injected write failure on interactions row ${failAt}';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER chaos_fail_one_insert BEFORE INSERT ON interactions FOR EACH ROW EXECUTE FUNCTION chaos_fail_one_insert();`);
      }
      const sync = d.sync('kith sync', syncTimeoutS(ctx.fast));
      const failureText = /chaos: injected write failure|database or disk is full|SQLITE_FULL/i;
      // Wait for the failure to show: a step retrying or failed with it, or a worker saying it.
      const seen = await until('the injected write failure', syncTimeoutS(ctx.fast) * 1000, async () => {
        const steps = await db.all<{ step_id: string; status: string; error: string | null; attempts: number }>(`SELECT step_id, status, error, attempts FROM sync_run_steps WHERE error IS NOT NULL OR status IN ('retrying', 'failed') OR attempts > 1`);
        if (steps.length) return `step ${steps.map((x) => `${x.step_id} ${x.status} (attempt ${x.attempts}): ${x.error ?? ''}`).join('; ')}`;
        for (const [g, p] of d.workers) {
          const line = p.stderr().split('\n').find((l) => failureText.test(l));
          if (line) return `the ${g} worker: ${line.slice(0, 300)}`;
        }
        if (!sync.running()) return 'none';
        return undefined;
      }, ctx.signal, 100);
      ctx.log(`fault seen: ${seen}`);
      if (seen === 'none') discrepancies.push('the fault missed: the run ended without a failed write');
      // While the fault stands: the counts agree with the interactions (nothing half-written).
      const verify = await procs.kithRun('kith stats verify', ['stats', 'verify', '--json'], d.env, 120_000, ctx.signal);
      const verified = parseVerify(verify.stdout);
      if (verify.code !== 0 || !verified || verified.remaining !== 0) discrepancies.push(`kith stats verify during the fault exited ${verify.code}: ${(verified ? JSON.stringify({ discrepancies: verified.discrepancies.length, orphans: verified.orphans.length }) : verify.stderr.slice(-400))}`);
      if (ctx.engine === 'sqlite') {
        const check = await db.get<{ quick_check: string }>('PRAGMA quick_check');
        if (check?.quick_check !== 'ok') discrepancies.push(`PRAGMA quick_check during the fault: ${JSON.stringify(check)}`);
        execFileSync('mount', ['-o', `remount,size=${Math.max(64 << 20, ref.sqliteBytes * 8)}`, mountDir], { stdio: ['ignore', 'ignore', 'pipe'] });
        ctx.log('tmpfs grown');
      }
      const freed = Date.now();
      const exit = await sync.exited;
      const report = parseReport(sync.stdout());
      const first = { exit: exit.code ?? exit.signal, status: report?.status ?? 'unreported', failed: report?.steps.filter((x) => x.status !== 'succeeded').map((x) => `${x.id} ${x.status}`) };
      ctx.log(`kith sync exited ${first.exit}, run ${first.status}`);
      if (exit.signal || ![0, 1, 2].includes(exit.code ?? -1)) discrepancies.push(`kith sync ended with ${exit.code ?? exit.signal} (a crash, not a run outcome): ${sync.stderr().trim().split('\n').slice(-3).join(' | ')}`);
      if (report?.status !== 'succeeded' && !failureText.test(JSON.stringify(report ?? {}) + sync.stdout() + sync.stderr())) discrepancies.push(`the run ended ${report?.status ?? 'unreported'} without naming the failed write`);
      discrepancies.push(...crashedWorkers(d));
      let rerun: unknown;
      if (report?.status !== 'succeeded') {
        const again = d.sync('kith sync (re-run)', syncTimeoutS(ctx.fast));
        const e2 = await again.exited;
        const r2 = parseReport(again.stdout());
        rerun = { exit: e2.code ?? e2.signal, status: r2?.status ?? 'unreported' };
        if (e2.code !== 0 || r2?.status !== 'succeeded') discrepancies.push(`the re-run kith sync exited ${e2.code ?? e2.signal} with the run ${r2?.status ?? 'unreported'}: ${again.stderr().trim().split('\n').slice(-3).join(' | ')}`);
      }
      const recovery_s = (Date.now() - freed) / 1000;
      return judge(ctx, d.db.config, discrepancies, { recovery_s, details: { fault: ctx.engine === 'sqlite' ? `tmpfs size=${sizeBytes}` : `trigger on interactions row ${failAt}`, seen, first_run: first, rerun } });
    }),
};

function parseVerify(stdout: string): { remaining: number; discrepancies: unknown[]; orphans: unknown[] } | undefined {
  try {
    return JSON.parse(stdout.trim().split('\n').pop() ?? '') as { remaining: number; discrepancies: unknown[]; orphans: unknown[] };
  } catch {
    return undefined;
  }
}

export const scenarios: ChaosScenario[] = [
  killWorker('kill-source-worker', 'source-mbox', 'collect:mbox', 0.25, true),
  killWorker('kill-pipeline-worker', 'pipeline', 'relationships', 0, false),
  redisFault('redis-restart', 'SIGTERM', true),
  redisFault('redis-kill', 'SIGKILL', false),
  dbWriteFailure,
  twoSyncs,
  twoStarts,
];

