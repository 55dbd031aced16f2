import type { Db } from '../db/db.js';
import { FatalError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { linkEntities } from '../people/link.service.js';
import { discoverRelationships } from '../people/relationships.service.js';
import { verifyStats } from '../people/stats.service.js';
import { computeStrengths } from '../people/strengths.service.js';
import { collectSource, sourceStateKey } from './collect-source.js';
import type { ConfiguredSource } from './kith-config.js';
import type { RunDetails, StepRow } from './run-store.js';
import { recordFailure, recordSuccess } from './sync-state-store.js';

export interface StepOutput {
  records: number;
  result?: unknown;
}

interface StepDeps {
  db: Db;
  log: Logger;
  signal?: AbortSignal;
}

function sourceOf(details: RunDetails, step: StepRow): ConfiguredSource {
  const { sourceId } = JSON.parse(step.params) as { sourceId?: string };
  const s = details.config.sources.find((x) => x.id === sourceId);
  if (!s) throw new FatalError(`step ${step.step_id}: source '${sourceId}' is not in the run's configuration`);
  return s;
}

/** Record a source step's outcome in sync_state too, for `kith status` and /health. */
async function tracked<T extends StepOutput>(db: Db, key: string, fn: () => Promise<T>): Promise<T> {
  try {
    const out = await fn();
    await recordSuccess(db, key, out.records);
    return out;
  } catch (err) {
    await recordFailure(db, key, (err as Error).message);
    throw err;
  }
}

/** The service behind each step of the phase DAG. Workers stay thin: they call this. */
export async function runStepService(step: StepRow, details: RunDetails, deps: StepDeps): Promise<StepOutput> {
  const { db } = deps;
  const self = details.config.self;
  const [kind] = step.step_id.split(':');
  switch (kind) {
    case 'collect': {
      const source = sourceOf(details, step);
      return tracked(db, sourceStateKey(source.id), () => collectSource(db, source, self, { full: details.full, log: deps.log, signal: deps.signal }));
    }
    case 'content': {
      const source = sourceOf(details, step);
      const { exportDrive } = await import('../sources/drive-export/index.js');
      return tracked(db, sourceStateKey(source.id), async () => {
        const r = await exportDrive({ path: source.path, into: source.into! });
        return { records: r.written, result: { written: r.written, unchanged: r.unchanged, skipped: r.skipped.length, skippedSample: r.skipped.slice(0, 50) } };
      });
    }
    case 'link-entities': {
      const r = await linkEntities(db, self);
      return { records: r.relinked, result: r };
    }
    case 'relationships': {
      const r = await discoverRelationships(db);
      return { records: r.relationships, result: r };
    }
    case 'strengths': {
      const r = await computeStrengths(db, Date.now());
      return { records: r.updated, result: r };
    }
    case 'verify-stats': {
      // The safety net of seed 001: repair and report. A discrepancy here means a write path
      // forgot its counts — a bug worth a loud log line, not a failed run.
      const r = await verifyStats(db, { fix: true });
      if (r.discrepancies.length) deps.log.error({ discrepancies: r.discrepancies.length }, 'verify found and repaired count discrepancies');
      return { records: r.checkedPeople, result: { checkedPeople: r.checkedPeople, discrepancies: r.discrepancies.length, fixed: r.fixed } };
    }
    default:
      throw new FatalError(`unknown step kind in ${step.step_id}`);
  }
}

/** Totals for the run summary; tables another area owns are counted only when present. */
export async function runSummary(db: Db): Promise<{ people: number; interactions: number; relationships: number }> {
  const count = async (sql: string) => {
    try {
      return Number((await db.get<{ n: number }>(sql))?.n ?? 0);
    } catch {
      return 0;
    }
  };
  return {
    people: await count('SELECT COUNT(*) AS n FROM people WHERE merged_into IS NULL'),
    interactions: await count('SELECT COUNT(*) AS n FROM interactions'),
    relationships: await count('SELECT COUNT(*) AS n FROM relationships'),
  };
}
