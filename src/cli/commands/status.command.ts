import { Command } from 'commander';
import { openDbFromEnv } from '../../app/open-db-from-env.js';
import { loadKithConfig, resolveConfigPath } from '../../sync/kith-config.js';
import { vectorState } from '../../search/vector-wiring.js';
import { formatSkipped, runReport } from '../../sync/run-report.js';
import { getRun } from '../../sync/run.store.js';
import { readSyncLogs } from '../../sync/sync-log.store.js';
import { listSyncState, skippedSampleOf } from '../../sync/sync-state.store.js';
import { CliError } from '../cli-error.js';
import { historyTable } from './status-history.js';

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(Number(ms)).toISOString());
const ago = (ms: number | null) => {
  if (ms == null) return 'never';
  const s = Math.round((Date.now() - ms) / 1000);
  return s < 120 ? `${s} s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : s < 172800 ? `${Math.round(s / 3600)} h ago` : `${Math.round(s / 86400)} days ago`;
};

export function statusCommand(): Command {
  return new Command('status')
    .description('per source: last success, last error and warning, staleness, records; and the latest sync run (--history: the sync log)')
    .option('--json', 'print one JSON object')
    .option('--history', 'the sync log instead: one row per step of a sync run and per contact sweep of a system, newest first')
    .option('--limit <n>', 'with --history: how many rows (default 50)')
    .action(async (opts: { json?: boolean; history?: boolean; limit?: string }) => {
      const limit = opts.limit === undefined ? 50 : Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new CliError(`--limit must be a whole number of at least 1 (got '${opts.limit}')`);
      const db = await openDbFromEnv();
      try {
        if (opts.history) {
          const logs = await readSyncLogs(db, { limit });
          console.log(opts.json ? JSON.stringify({ history: logs.map((l) => ({ ...l, startedAt: iso(l.startedAt), finishedAt: iso(l.finishedAt) })) }) : historyTable(logs));
          return;
        }
        const configured: string[] = [];
        const groupOf = new Map<string, string>();
        try {
          for (const s of loadKithConfig(resolveConfigPath().file).sources) {
            configured.push(s.id);
            if (s.group) groupOf.set(s.id, s.group);
          }
        } catch {
          /* status still shows what ran */
        }
        const states = await listSyncState(db, 'source:');
        const ids = [...new Set([...configured, ...states.map((s) => s.key.slice('source:'.length))])];
        const sources = ids.map((id) => {
          const s = states.find((x) => x.key === `source:${id}`);
          return {
            source: id,
            // The worker group whose hosts collect it (its entry's `group`); null: any worker.
            group: groupOf.get(id) ?? null,
            lastSuccess: iso(s?.last_success_at),
            lastError: s?.last_error ?? null,
            lastErrorAt: iso(s?.last_error_at),
            stalenessSeconds: s?.last_success_at ? Math.round((Date.now() - Number(s.last_success_at)) / 1000) : null,
            records: Number(s?.records ?? 0),
            failures: Number(s?.failure_count ?? 0),
            lastWarning: s?.last_warning ?? null,
            lastWarningAt: iso(s?.last_warning_at),
            // Malformed records the last collection skipped, and the first few.
            skipped: Number(s?.last_skipped ?? 0),
            skippedSample: skippedSampleOf(s),
          };
        });
        const last = await db.get<{ id: string }>('SELECT id FROM sync_runs ORDER BY started_at DESC LIMIT 1');
        const run = last ? await getRun(db, last.id) : undefined;
        const lastRun = run ? runReport(run.run, run.steps) : null;
        if (opts.json) {
          console.log(JSON.stringify({ sources, lastRun, search: await vectorState(db) }));
          return;
        }
        console.log('source                      last success        records  last error');
        for (const s of sources) {
          const name = s.group ? `${s.source} (group ${s.group})` : s.source;
          console.log(`${name.padEnd(27)} ${ago(s.lastSuccess ? Date.parse(s.lastSuccess) : null).padEnd(19)} ${String(s.records).padStart(7)}  ${s.lastError ?? ''}`);
          if (s.lastWarning) console.log(`${''.padEnd(28)}warning ${ago(Date.parse(s.lastWarningAt!))}: ${s.lastWarning}`);
          if (s.skipped) for (const line of formatSkipped(s.skipped, s.skippedSample, '  ')) console.log(line);
        }
        if (lastRun) console.log(`\nlast run ${lastRun.runId}: ${lastRun.status}, started ${lastRun.startedAt}; people ${lastRun.people ?? '?'}, interactions ${lastRun.interactions ?? '?'}, relationships ${lastRun.relationships ?? '?'}`);
        else console.log('\nno sync run yet: run `kith sync`');
        console.log((await vectorState(db)).message);
      } finally {
        await db.close();
      }
    });
}
