import { Job } from 'bullmq';
import { openQueue } from '../../redis/queue-objects.js';
import { Command } from 'commander';
import { openDbFromEnv } from '../../app/open-db-from-env.js';
import { loadCoreConfig } from '../../config/core.config.js';
import { loadRedisConfig } from '../../config/redis.config.js';
import type { Db } from '../../db/db.js';
import { measureDrift } from '../../hub/services/drift.service.js';
import { openHub } from '../../app/open-hub.js';
import type { Hub } from '../../hub/hub-context.js';
import { HUB_QUEUE } from '../../hub/jobs/hub-queues.js';
import { syncContactToAll } from '../../hub/services/propagation.service.js';
import { syncAllContacts, type SweepReport } from '../../hub/services/sweep.service.js';
import { createLogger } from '../../log/logger.js';
import { CliError } from '../cli-error.js';

/*
 * `kith contacts sync <id>`, `kith contacts sync-all [--dry-run]`, `kith contacts drift [--json]`.
 * Kept apart from contacts.command.ts (another area); added with addContactsSyncCommands.
 */

async function withHub<T>(needRedis: boolean, fn: (hub: Hub, db: Db) => Promise<T>): Promise<T> {
  const db = await openDbFromEnv();
  const redis = loadRedisConfig();
  if (needRedis && !redis.url) {
    await db.close();
    throw new CliError('this command enqueues jobs and needs REDIS_URL (the Redis that `kith start` or docker compose runs)');
  }
  let hub: Hub | undefined;
  try {
    hub = await openHub({ db, redisUrl: needRedis ? redis.url : undefined, prefix: redis.prefix, log: createLogger(loadCoreConfig().logLevel) });
    return await fn(hub, db);
  } finally {
    await hub?.close();
    await db.close();
  }
}

async function waitForJob(hub: Hub, queueName: string, id: string, timeoutMs: number): Promise<Job | undefined> {
  const q = openQueue(queueName, { connection: hub.redis, prefix: hub.prefix }, hub.log);
  try {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const job = await Job.fromId(q, id);
      const state = job ? await job.getState() : 'unknown';
      if (job && (state === 'completed' || state === 'failed')) return job;
      await new Promise((r) => setTimeout(r, 100));
    }
    return undefined;
  } finally {
    await q.close();
  }
}

/** What `kith contacts sync` learnt: the fan-out it enqueued and, when it waited, each target's result. */
interface SyncReport {
  contact_id: string;
  version: number;
  targets: string[];
  fanout?: string;
  waited: boolean;
  results: { target: string; written: number; skipped: number; job: string }[];
  failed: string[];
}

function printSyncHeader(r: SyncReport, flow: boolean): void {
  if (!r.fanout) console.log(`Contact ${r.contact_id} v${r.version}: no target system is configured.`);
  else console.log(`Contact ${r.contact_id} v${r.version} → ${r.targets.join(', ')} (${flow ? 'flow' : 'job'} ${r.fanout})`);
}

function printSyncResults(r: SyncReport): void {
  for (const x of r.results) console.log(`  ${x.target.padEnd(9)} ${x.written ? 'written' : 'already up to date'}  (${x.job})`);
  for (const job of r.failed) console.log(`  failed: ${job} (it retries on its own; see kith contacts show ${r.contact_id})`);
}

function syncCommand(): Command {
  return new Command('sync')
    .description('sync_contact_to_all: write the canonical record of one contact to every target (workers must run)')
    .argument('<contact-id>', 'the canonical contact id')
    .option('--no-wait', 'enqueue and return without waiting for the targets')
    .option('--timeout <s>', 'seconds to wait for every target', '60')
    .option('--json', 'print the fan-out and each target\'s result as one JSON object')
    .action(async (id: string, opts: { wait: boolean; timeout: string; json?: boolean }) =>
      withHub(true, async (hub) => {
        const r = await syncContactToAll(hub, id, { origin: 'cli' });
        const report: SyncReport = { contact_id: id, version: r.version, targets: r.targets, fanout: r.id, waited: false, results: [], failed: [] };
        const flow = r.done?.queue === HUB_QUEUE.fanout;
        // The header first, so a person sees what was enqueued while the targets are awaited.
        if (!opts.json) printSyncHeader(report, flow);
        if (r.done && opts.wait) {
          const job = await waitForJob(hub, r.done.queue, r.done.jobId, Number(opts.timeout) * 1000);
          if (!job) throw new CliError(`not every target finished within ${opts.timeout} s: are workers running (kith worker / kith start)?`, 2);
          // A flow's parent lists its children; a fan-out to one target is that target's job alone.
          const values: [string, unknown][] = flow ? Object.entries(await job.getChildrenValues()) : job.finishedOn && !job.failedReason ? [[job.id!, job.returnvalue]] : [];
          const jobName = (key: string) => key.split(':').pop()!;
          report.waited = true;
          report.results = values.map(([key, v]) => {
            const p = v as { target: string; written: number; skipped: number };
            return { target: p.target, written: p.written, skipped: p.skipped, job: jobName(key) };
          });
          report.failed = (flow ? Object.keys(await job.getIgnoredChildrenFailures()) : job.failedReason ? [job.id!] : []).map(jobName);
        }
        if (opts.json) console.log(JSON.stringify(report));
        else printSyncResults(report);
        if (report.failed.length) process.exitCode = 1;
      }),
    );
}

function printSweep(r: SweepReport): void {
  console.log(`${r.dryRun ? 'Dry run: nothing was written. ' : ''}sync_all_contacts took ${r.ms} ms.`);
  for (const s of r.systems) {
    const counts = Object.entries(s.counts).map(([k, n]) => `${k} ${n}`).join(', ') || 'nothing';
    const label = s.role === 'canonical' ? (r.dryRun ? 'would write per target' : 'fanned out') : r.dryRun ? 'would do' : 'outcomes';
    console.log(`  ${s.system.padEnd(9)} ${s.role.padEnd(9)} read ${s.read} in ${s.pages} page(s); ${label}: ${s.role === 'canonical' && !r.dryRun ? r.fannedOut : counts}${s.error ? `  ERROR: ${s.error}` : ''}`);
  }
}

function syncAllCommand(): Command {
  return new Command('sync-all')
    .description('sync_all_contacts: every system since its last cursor through the canonical store, then fan out')
    .option('--dry-run', 'print what would change in each system and write nothing (no Redis needed)')
    .option('--json', 'print the report as one JSON object')
    .action(async (opts: { dryRun?: boolean; json?: boolean }) =>
      withHub(!opts.dryRun, async (hub) => {
        const r = await syncAllContacts(hub, { dryRun: opts.dryRun });
        if (opts.json) console.log(JSON.stringify(r));
        else printSweep(r);
        if (r.systems.some((s) => s.error)) process.exitCode = 1;
      }),
    );
}

function driftCommand(): Command {
  return new Command('drift')
    .description('per system, the share of contacts whose copy differs from canonical (reads every system in full)')
    .option('--json', 'print one JSON array')
    .option('--samples <n>', 'differing contacts to show per system', '5')
    .action(async (opts: { json?: boolean; samples: string }) =>
      withHub(false, async (hub) => {
        const report = await measureDrift(hub, { sampleSize: Number(opts.samples) || 0 });
        if (opts.json) return console.log(JSON.stringify(report));
        if (!report.length) return console.log(`No target system is configured (canonical: ${hub.systems.canonicalName}).`);
        console.log(`Canonical: ${hub.systems.canonicalName}`);
        for (const d of report) {
          console.log(`  ${d.system.padEnd(9)} ${String(d.driftPct).padStart(6)} %  ${d.differing} of ${d.expected} differ (${d.missing} missing), ${d.orphans} orphan(s)${d.driftPct > 5 ? '  ALERT: above 5 %' : ''}`);
          for (const s of d.samples) console.log(`    ${s.contactId}: ${s.differences === 'missing' ? 'missing' : s.differences.map((x) => x.field).join(', ')}`);
        }
      }),
    );
}

/** Adds `sync`, `sync-all` and `drift` to the `kith contacts` command. */
export function addContactsSyncCommands(contacts: Command): Command {
  return contacts.addCommand(syncCommand()).addCommand(syncAllCommand()).addCommand(driftCommand());
}
