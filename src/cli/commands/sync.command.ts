import { availableParallelism } from 'node:os';
import { Command } from 'commander';
import { openRuntime } from '../../app/runtime.js';
import { loadDotenv } from '../../config/parse-env.js';
import { startSyncRun } from '../../flows/start-run.js';
import { PIPELINE_QUEUE } from '../../sync/pipeline-queues.js';
import { queueSpec, splitGroupQueue } from '../../queues/queue-registry.js';
import { loadKithConfig, resolveConfigPath } from '../../sync/kith-config.js';
import { formatSkipped, formatStepLine, runReport } from '../../sync/run-report.js';
import { getRun } from '../../sync/run.store.js';
import { formatStepProgress, StepProgressReader } from '../../sync/step-progress.js';
import { stepJobId } from '../../flows/compile-flow.js';
import { queuesWithoutWorkers, WorkerPool, workerGroups } from '../../sync/worker-processes.js';
import type { StepRow } from '../../sync/run.store.js';
import { CliError } from '../cli-error.js';

export function syncCommand(): Command {
  return new Command('sync')
    .description('run the unified sync (phases 1–5) now, show progress per step, and print a summary')
    .option('--only <types...>', 'collect only these source types or ids (phases 2–4 always run)')
    .option('--full', 'ignore stored cursors and re-read every export from the start')
    .option('--json', 'print the run as one JSON object on the last line')
    .option('--timeout <seconds>', 'give up waiting after this long', '3600')
    .action(async (opts: { only?: string[]; full?: boolean; json?: boolean; timeout: string }) => {
      loadDotenv();
      const { file, isExample } = resolveConfigPath();
      const config = loadKithConfig(file);
      if (isExample && !opts.json) {
        console.error(`kith: no kith.config.yaml here and KITH_CONFIG is unset: using the bundled examples (${file}).`);
        console.error('      Point KITH_CONFIG at a file listing your own exports (see README, "Your own data").');
      }
      const rt = await openRuntime();
      // Our progress lines are the terminal's story; the workers only speak up for problems.
      const env = { ...process.env, KITH_LOG_LEVEL: process.env.KITH_LOG_LEVEL ?? 'warn' };
      const pool = new WorkerPool(env, rt.redis.url, rt.redis.prefix);
      const say = (line: string) => {
        if (!opts.json) console.error(`kith: ${line}`);
      };
      try {
        const started = await startSyncRun({ db: rt.db, redisUrl: rt.redis.url, prefix: rt.redis.prefix, config, only: opts.only, full: opts.full, kind: 'manual' });
        const initial = await getRun(rt.db, started.runId);
        if (!initial) throw new CliError(`run ${started.runId} vanished from the database`);
        if (started.existing) say(`a sync run is already in progress (${started.runId}): following it`);
        else say(`started ${started.runId} (${started.steps.length} steps)`);
        // The owner of a run and a follower alike start workers for every queue the run still
        // needs that no process serves: a run whose `kith sync` was stopped resumes here.
        const unserved = await queuesWithoutWorkers(rt.redis.url, rt.redis.prefix, queuesNeeded(initial.steps));
        // A worker group's queue is served only on the hosts of that group, never here.
        const missing = unserved.filter((q) => !isGroupQueue(q));
        for (const line of waitingForGroups(unserved)) say(line);
        if (missing.length) {
          say(`no Kith service is serving ${missing.length} queue(s): starting workers for this run`);
          await pool.add(workerGroups(missing, isSourceQueue, availableParallelism()));
        }
        const supervisor = new RunSupervisor(rt.redis.url, rt.redis.prefix, pool, say, unserved.filter(isGroupQueue));

        // Ctrl-C stops following: the workers we started finish or release their jobs, our Redis
        // keeps them (AOF), and the next `kith sync` resumes the same run.
        let interrupted: string | undefined;
        const onSignal = (sig: NodeJS.Signals) => {
          if (interrupted) process.exit(130);
          interrupted = sig;
          console.error(`kith: ${sig}: stopping; run \`kith sync\` again to resume ${started.runId}`);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        const deadline = Date.now() + Number(opts.timeout) * 1000;
        const shown = new Map<string, string>();
        // A long step (an API source's first read) reports counts as it goes: shown as they change.
        const progress = opts.json ? undefined : new StepProgressReader(rt.redis.url, rt.redis.prefix);
        const progressShown = new Map<string, string>();
        let progressAt = 0;
        try {
          for (;;) {
            const r = await getRun(rt.db, started.runId);
            if (!r) throw new CliError(`run ${started.runId} vanished from the database`);
            if (!opts.json) {
              for (const s of r.steps) {
                const line = formatStepLine(s);
                if (shown.get(s.step_id) !== s.status) {
                  shown.set(s.step_id, s.status);
                  if (s.status !== 'pending') console.error(line);
                }
              }
            }
            if (progress && Date.now() - progressAt >= 2000) {
              progressAt = Date.now();
              for (const s of r.steps.filter((x) => x.status === 'running')) {
                const line = formatStepProgress(await progress.read(s.queue, stepJobId(started.runId, s.step_id)).catch(() => undefined));
                if (line && progressShown.get(s.step_id) !== line) {
                  progressShown.set(s.step_id, line);
                  console.error(`  ${s.step_id}: ${line}`);
                }
              }
            }
            if (r.run.status !== 'running') {
              const report = runReport(r.run, r.steps);
              if (opts.json) console.log(JSON.stringify(report));
              else {
                console.log(`\nRun ${report.runId}: ${report.status} in ${((Number(r.run.finished_at) - Number(r.run.started_at)) / 1000).toFixed(1)} s`);
                console.log(`  people ${report.people ?? '?'}, interactions ${report.interactions ?? '?'}, relationships ${report.relationships ?? '?'}`);
                for (const s of r.steps.filter((x) => x.status === 'failed' || x.status === 'skipped')) console.log(`  ${s.step_id}: ${s.status}: ${s.error ?? ''}`);
                for (const s of report.steps) {
                  if (!s.skipped) continue;
                  const [head, ...first] = formatSkipped(s.skipped, s.skippedSample ?? [], '    ');
                  console.log(`  ${s.id}: ${head!.trim()}`);
                  for (const line of first) console.log(line);
                }
              }
              process.exitCode = report.status === 'failed' ? 1 : report.status === 'partial' ? 2 : 0;
              break;
            }
            if (interrupted) {
              process.exitCode = 130;
              break;
            }
            if (Date.now() > deadline) {
              const after = pool.members.length ? `the workers this process started stop with it; run \`kith sync\` again to resume it` : 'it goes on; see kith status';
              throw new CliError(`run ${started.runId} still running after ${opts.timeout} s (${after})`);
            }
            try {
              if (await rt.takeOverRedis()) say(`the Kith process whose embedded Redis this one shared has stopped: running it here now (${rt.redis.url})`);
              await supervisor.check(r.steps);
            } catch (err) {
              throw new CliError((err as Error).message);
            }
            await new Promise((res) => setTimeout(res, 200));
          }
        } finally {
          await progress?.close();
        }
      } finally {
        await pool.stop();
        await rt.close();
      }
    });
}

const isSourceQueue = (q: string) => queueSpec(q).group === 'sources';
const isGroupQueue = (q: string) => splitGroupQueue(q).group !== undefined;

/** One line per worker group whose queues nothing serves: the run waits for its hosts. */
function waitingForGroups(unserved: readonly string[]): string[] {
  const byGroup = new Map<string, string[]>();
  for (const q of unserved) {
    const { group } = splitGroupQueue(q);
    if (group !== undefined) byGroup.set(group, [...(byGroup.get(group) ?? []), q]);
  }
  return [...byGroup].map(([g, qs]) => `waiting for worker group ${g}: no process serves ${qs.join(', ')} (run \`kith worker --group ${g}\` on a host that holds its files)`);
}
const UNFINISHED = new Set(['pending', 'running', 'retrying']);

/** The queues a run still needs served: its root's, and those of its unfinished steps. */
function queuesNeeded(steps: readonly StepRow[]): string[] {
  return [...new Set([PIPELINE_QUEUE.run, ...steps.filter((s) => UNFINISHED.has(s.status)).map((s) => s.queue)])];
}

/** How long a queue the run needs may go unserved before this process serves it itself. */
const ADOPT_AFTER_MS = 3000;
const CHECK_EVERY_MS = 1000;

/**
 * Watches a run being followed: restarts the worker processes this process started when they
 * exit, and starts workers for any queue the run still needs that no process has served for
 * ADOPT_AFTER_MS (the process that served it, say the `kith sync` that started the run, has gone).
 */
class RunSupervisor {
  private unservedSince = new Map<string, number>();
  private lastCheck = 0;
  /** Worker group queues already reported unserved (said once until served again). */
  private readonly waitingSaid: Set<string>;

  constructor(
    private readonly redisUrl: string,
    private readonly prefix: string,
    private readonly pool: WorkerPool,
    private readonly say: (line: string) => void,
    saidWaiting: readonly string[],
  ) {
    this.waitingSaid = new Set(saidWaiting);
  }

  async check(steps: readonly StepRow[]): Promise<void> {
    const now = Date.now();
    if (now - this.lastCheck < CHECK_EVERY_MS) return;
    this.lastCheck = now;
    for (const line of await this.pool.restartExited()) this.say(line);
    const ours = this.pool.servedQueues();
    let probed: string[];
    try {
      probed = await queuesWithoutWorkers(this.redisUrl, this.prefix, queuesNeeded(steps), { failFast: true });
    } catch {
      return; // Redis is unreachable for a moment (or going away as the run ends): look again later
    }
    for (const q of probed) {
      if (!isGroupQueue(q) || this.waitingSaid.has(q)) continue;
      this.waitingSaid.add(q);
      for (const line of waitingForGroups([q])) this.say(line);
    }
    for (const q of this.waitingSaid) if (!probed.includes(q)) this.waitingSaid.delete(q);
    const unserved = new Set(probed.filter((q) => !ours.has(q) && !isGroupQueue(q)));
    for (const q of this.unservedSince.keys()) if (!unserved.has(q)) this.unservedSince.delete(q);
    for (const q of unserved) if (!this.unservedSince.has(q)) this.unservedSince.set(q, now);
    const adopt = [...this.unservedSince].filter(([, since]) => now - since >= ADOPT_AFTER_MS).map(([q]) => q);
    if (!adopt.length) return;
    this.say(`no process has served ${adopt.join(', ')} for ${ADOPT_AFTER_MS / 1000} s (the process that served them has gone): starting workers for them`);
    for (const q of adopt) this.unservedSince.delete(q);
    await this.pool.add(workerGroups(adopt, isSourceQueue, availableParallelism()));
  }
}
