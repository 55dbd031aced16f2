import { availableParallelism } from 'node:os';
import { Command } from 'commander';
import { openRuntime } from '../../app/runtime.js';
import { loadDotenv } from '../../config/parse-env.js';
import { startSyncRun } from '../../flows/start-run.js';
import { PIPELINE_QUEUE } from '../../sync/pipeline-queues.js';
import { queueSpec } from '../../queues/queue-registry.js';
import { loadKithConfig, resolveConfigPath } from '../../sync/kith-config.js';
import { formatSkipped, formatStepLine, runReport } from '../../sync/run-report.js';
import { getRun } from '../../sync/run.store.js';
import { queuesWithoutWorkers, spawnWorkers, type SpawnedWorkers } from '../../sync/worker-processes.js';
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
      let workers: SpawnedWorkers | undefined;
      try {
        const started = await startSyncRun({ db: rt.db, redisUrl: rt.redis.url, prefix: rt.redis.prefix, config, only: opts.only, full: opts.full, kind: 'manual' });
        const needed = started.existing ? [] : [...new Set([PIPELINE_QUEUE.run, ...started.steps.map((s) => s.queue)])];
        const missing = await queuesWithoutWorkers(rt.redis.url, rt.redis.prefix, needed);
        if (missing.length) {
          if (!opts.json) console.error(`kith: no Kith service is serving ${missing.length} queue(s): starting workers for this run`);
          const sources = missing.filter((q) => queueSpec(q).group === 'sources');
          const rest = missing.filter((q) => queueSpec(q).group !== 'sources');
          // Our progress lines are the terminal's story; the workers only speak up for problems.
          const env = { ...process.env, KITH_LOG_LEVEL: process.env.KITH_LOG_LEVEL ?? 'warn' };
          // Sources parse in parallel across cores; each process serves a share of the source queues.
          const n = Math.max(1, Math.min(sources.length, availableParallelism()));
          const shares = Array.from({ length: n }, (_, i) => sources.filter((_q, j) => j % n === i));
          workers = await spawnWorkers([...shares, rest], env, rt.redis.url, rt.redis.prefix);
        }
        if (started.existing && !opts.json) console.error(`kith: a sync run is already in progress (${started.runId}): following it`);
        else if (!opts.json) console.error(`kith: started ${started.runId} (${started.steps.length} steps)`);

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
          if (Date.now() > deadline) throw new CliError(`run ${started.runId} still running after ${opts.timeout} s (it goes on; see kith status)`);
          await new Promise((res) => setTimeout(res, 200));
        }
      } finally {
        await workers?.stop();
        await rt.close();
      }
    });
}
