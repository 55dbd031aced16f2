import { Command, Option } from 'commander';
import { openDbFromEnv } from '../../app/open-db-from-env.js';
import { loadCoreConfig } from '../../config/core.config.js';
import { loadDotenv } from '../../config/parse-env.js';
import { loadRedisConfig } from '../../config/redis.config.js';
import type { Db } from '../../db/db.js';
import { createLogger } from '../../log/logger.js';
import { loadTableMappings } from '../../tables/config/load-tables.js';
import { runOrder } from '../../tables/config/tables-config.js';
import { READ_ONLY_TYPES } from '../../tables/domain/field-values.js';
import type { TableSync } from '../../tables/open-table-sync.js';
import type { TableRunReport } from '../../tables/services/table-sync-deps.js';
import { latestWebhookToken, listTableConflicts } from '../../tables/stores/table-conflicts.store.js';
import { CliError } from '../cli-error.js';

/* `kith tables …`: the Notion ↔ Supabase table sync, run in this process. */

async function withTableSync<T>(fn: (s: TableSync, db: Db) => Promise<T>): Promise<T> {
  loadDotenv();
  const db = await openDbFromEnv();
  const redis = loadRedisConfig();
  let sync: TableSync | undefined;
  try {
    const { openTableSync } = await import('../../tables/open-table-sync.js');
    sync = openTableSync({ db, redisUrl: redis.url, prefix: redis.prefix, log: createLogger(loadCoreConfig().logLevel) });
    return await fn(sync, db);
  } finally {
    await sync?.close();
    await db.close();
  }
}

function printReport(r: TableRunReport): void {
  const head = `${r.table} (${r.mode}, ${r.kind}${r.dryRun ? ', dry run' : ''})`;
  if (r.aborted) return console.log(`${head}: STOPPED by the safety valve: ${r.aborted}`);
  console.log(`${head}: read ${r.read.notion} page(s), ${r.read.supabase} row(s)`);
  if (r.dryRun) {
    for (const side of ['notion', 'supabase'] as const) {
      const mine = r.planned.filter((p) => p.side === side);
      const n = (a: string) => mine.filter((p) => p.action === a).length;
      console.log(`  ${side.padEnd(8)} would create ${n('create')}, update ${n('update') + n('restore')}, trash ${n('trash')}`);
      for (const p of mine.slice(0, 50)) console.log(`    ${p.action.padEnd(7)} ${p.id}${p.reason ? ` (${p.reason})` : ''}`);
      if (mine.length > 50) console.log(`    … and ${mine.length - 50} more`);
    }
    return;
  }
  console.log(`  notion   created ${r.notion.created}, updated ${r.notion.updated}, trashed ${r.notion.trashed}`);
  console.log(`  supabase created ${r.supabase.created}, updated ${r.supabase.updated}, restored ${r.supabase.restored}, deleted ${r.supabase.deleted}`);
  if (r.conflicts.length) console.log(`  conflicts: ${r.conflicts.join(', ')} (kith tables conflicts)`);
  for (const f of r.failed) console.log(`  skipped ${f.id}: ${f.error}`);
}

function syncCommand(): Command {
  return new Command('sync')
    .description('sync mapped tables now (all, or those named; contacts are `kith contacts sync-all`), in order: two-way, then one-way')
    .argument('[names...]', 'tables from kith.config.yaml (default: all)')
    .option('--full', 'read both sides whole, rebuild links and repair every mismatch')
    .addOption(new Option('--hours <n>', 'read what changed in the last N hours instead of since the cursors').argParser((v) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new CliError(`--hours: must be a positive number (got '${v}')`);
      return n;
    }))
    .option('--dry-run', 'print the creates, updates and trashes per side; write nothing')
    .option('--force', 'skip the safety valve for this run')
    .option('--json', 'print one JSON array of the runs')
    .action(async (names: string[], opts: { full?: boolean; hours?: number; dryRun?: boolean; force?: boolean; json?: boolean }) =>
      withTableSync(async ({ deps }) => {
        if (!deps.tables.length) throw new CliError('no tables are mapped: add a `tables:` section to kith.config.yaml (README, "Notion ↔ Supabase tables")');
        for (const n of names) if (!deps.tables.some((t) => t.name === n)) throw new CliError(`no mapped table '${n}' (known: ${deps.tables.map((t) => t.name).join(', ')})`);
        const { runTableReported } = await import('../../tables/services/table-jobs.service.js');
        const reports: TableRunReport[] = [];
        let failed = false;
        for (const m of runOrder(deps.tables).filter((t) => !names.length || names.includes(t.name))) {
          try {
            const r = await runTableReported(deps, m, { full: opts.full, hours: opts.hours, dryRun: opts.dryRun, force: opts.force });
            reports.push(r);
            failed ||= !!r.aborted;
            if (!opts.json) printReport(r);
          } catch (err) {
            failed = true;
            if (!opts.json) console.log(`${m.name}: FAILED: ${(err as Error).message}`);
          }
        }
        if (opts.json) console.log(JSON.stringify(reports));
        if (failed) process.exitCode = 1;
      }),
    );
}

function schemaCommand(): Command {
  return new Command('schema')
    .description("the Notion data source's properties and types beside the Supabase columns they map to, and what is unmapped")
    .argument('<name>', 'a table from kith.config.yaml')
    .option('--json', 'print one JSON object')
    .action(async (name: string, opts: { json?: boolean }) =>
      withTableSync(async ({ deps }) => {
        const m = deps.tables.find((t) => t.name === name);
        if (!m) throw new CliError(`no mapped table '${name}' (known: ${deps.tables.map((t) => t.name).join(', ') || 'none'})`);
        const schema = await deps.pages.schema(m.dataSourceId);
        const byProperty = new Map(m.fields.map((f) => [f.property, f]));
        const rows = Object.values(schema).map((p) => {
          const f = byProperty.get(p.name);
          return { property: p.name, type: f?.type ?? p.type, column: f?.column ?? null, relation: f?.relation ?? null, read_only: READ_ONLY_TYPES.has(f?.type ?? p.type) };
        });
        const missing = m.fields.filter((f) => !schema[f.property]).map((f) => ({ column: f.column, property: f.property }));
        if (opts.json) return console.log(JSON.stringify({ table: m.name, data_source: m.dataSourceId, supabase_table: m.table, properties: rows, missing }));
        console.log(`${m.name}: Notion data source ${m.dataSourceId} ↔ Supabase table ${m.table} (${m.mode})`);
        for (const r of rows) console.log(`  ${r.property.padEnd(24)} ${r.type.padEnd(16)} ${r.column ? `→ ${r.column}${r.relation ? ` (relation to ${r.relation})` : ''}${r.read_only ? ' (read only)' : ''}` : 'unmapped'}`);
        for (const x of missing) console.log(`  ${x.property.padEnd(24)} MISSING in Notion (mapped to ${x.column})`);
      }),
    );
}

function listCommand(): Command {
  return new Command('list')
    .description('the mapped tables with their mode, schedule and health')
    .option('--json', 'print one JSON array')
    .action(async (opts: { json?: boolean }) => {
      loadDotenv();
      const tables = loadTableMappings();
      const db = await openDbFromEnv();
      try {
        const { tablesStatus } = await import('../../tables/services/table-status.service.js');
        const status = await tablesStatus(db, tables);
        if (opts.json) return console.log(JSON.stringify(tables.map((t, i) => ({ ...t, status: status[i] }))));
        if (!tables.length) return console.log('No tables are mapped (kith.config.yaml `tables:`).');
        for (const [i, t] of tables.entries()) {
          const s = status[i]!;
          console.log(`${t.name.padEnd(16)} ${t.mode.padEnd(8)} notion ${t.dataSourceId} ↔ supabase ${t.table}, every ${Math.round(t.everyMs / 1000)} s (full every ${Math.round(t.fullEveryMs / 60_000)} min)`);
          console.log(`  last run ${s.last_run ?? 'never'}, last success ${s.last_success ?? 'never'}${s.error ? `, failing: ${s.error}` : ''}${s.open_conflicts ? `, ${s.open_conflicts} open conflict(s)` : ''}`);
        }
      } finally {
        await db.close();
      }
    });
}

function conflictsCommand(): Command {
  return new Command('conflicts')
    .description('records edited in Notion and in Supabase since the last sync: the newer edit won, the other is kept here')
    .option('--table <name>', 'only this table')
    .option('--all', 'include resolved conflicts')
    .option('--json', 'print one JSON array')
    .action(async (opts: { table?: string; all?: boolean; json?: boolean }) => {
      loadDotenv();
      const db = await openDbFromEnv();
      try {
        const rows = await listTableConflicts(db, { all: opts.all, table: opts.table });
        if (opts.json) return console.log(JSON.stringify(rows));
        if (!rows.length) return console.log(opts.all ? 'No table conflicts recorded.' : 'No open table conflicts.');
        for (const c of rows) {
          console.log(`${c.id}  ${c.table} row ${c.rowId}  ${c.resolvedAt ? `resolved ${new Date(c.resolvedAt).toISOString()}` : `open since ${new Date(c.createdAt).toISOString()}`}`);
          console.log(`  won:  ${c.winner.system} at ${c.winner.updatedAt}`);
          console.log(`  kept: ${c.loser.system} at ${c.loser.updatedAt}`);
          for (const [k, v] of Object.entries(c.loser.content.fields)) {
            const w = c.winner.content.fields[k];
            if (JSON.stringify(v) !== JSON.stringify(w)) console.log(`  ${k}: ${JSON.stringify(w)} (won) ≠ ${JSON.stringify(v)} (kept)`);
          }
        }
        if (!opts.all) console.log('Resolve with: kith tables resolve <id> --take notion|supabase');
      } finally {
        await db.close();
      }
    });
}

function resolveCommand(): Command {
  return new Command('resolve')
    .description('settle a table conflict: write the side taken to both Notion and Supabase')
    .argument('<conflict-id>', 'id shown by `kith tables conflicts`')
    .requiredOption('--take <side>', 'notion or supabase')
    .option('--json', 'print one JSON object')
    .action(async (id: string, opts: { take: string; json?: boolean }) =>
      withTableSync(async ({ deps }) => {
        const { resolveTableConflict } = await import('../../tables/services/table-conflicts.service.js');
        const r = await resolveTableConflict(deps, id, opts.take);
        if (opts.json) return console.log(JSON.stringify({ conflict_id: id, ...r }));
        console.log(`Resolved ${id}: ${r.table} row ${r.rowId} and page ${r.pageId} now hold the ${r.took} side.`);
      }),
    );
}

function webhookTokenCommand(): Command {
  return new Command('webhook-token')
    .description('the verification token Notion sent to POST /webhooks/notion; set NOTION_WEBHOOK_TOKEN to it')
    .action(async () => {
      loadDotenv();
      const db = await openDbFromEnv();
      try {
        const t = await latestWebhookToken(db);
        if (!t) throw new CliError('no verification request has arrived yet: create the subscription in Notion with the URL <your Kith>/webhooks/notion');
        console.log(t.token);
        console.error(`received ${new Date(t.receivedAt).toISOString()}: paste it into Notion's "Verify subscription", then set NOTION_WEBHOOK_TOKEN=${t.token} and restart`);
      } finally {
        await db.close();
      }
    });
}

export function tablesCommand(): Command {
  return new Command('tables')
    .description('Notion ↔ Supabase tables (kith.config.yaml `tables:`): sync, schema, list, conflicts')
    .addCommand(syncCommand())
    .addCommand(schemaCommand())
    .addCommand(listCommand())
    .addCommand(conflictsCommand())
    .addCommand(resolveCommand())
    .addCommand(webhookTokenCommand());
}
