import type { DefaultJobOptions } from 'bullmq';
import { PIPELINE_QUEUE, sourceQueue } from '../sync/pipeline-queues.js';
import { COLLECTION_SOURCES, SOURCES } from '../sources/registry.js';
import { HUB_QUEUES } from '../hub/jobs/hub-queues.js';

/**
 * Every queue Kith uses, declared as data: its name, which worker group serves it by default,
 * and its job options. Worker processes pick queues by name (`kith worker --queues …`), so one
 * source can run in its own process; docker-compose does exactly that.
 */
export interface QueueSpec {
  name: string;
  /** Worker group for deployment: processes are split along these lines in docker-compose. */
  group: 'sources' | 'pipeline' | 'contacts' | 'system';
  description: string;
  concurrency: number;
  jobOptions?: DefaultJobOptions;
  /** Job lock for queues whose jobs run long synchronous steps (default: BullMQ's 30 s). */
  lockDurationMs?: number;
}

/** Retries with exponential backoff (1 s, 2 s, 4 s, …) and ±50 % jitter, so a thundering herd spreads out. */
export const DEFAULT_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 50_000 },
};

const LONG_STEP_LOCK_MS = 10 * 60_000;

/**
 * Phase 1: one queue per collection source type, so each source can run in a process of its
 * own (content sources run in phase 5, on `sync-content`).
 */
const SOURCE_QUEUES: QueueSpec[] = COLLECTION_SOURCES.map(({ type }) => ({
  name: sourceQueue(type),
  group: 'sources',
  description: `phase 1: collect from ${type} exports`,
  concurrency: 1,
  jobOptions: { attempts: 3 },
  lockDurationMs: LONG_STEP_LOCK_MS,
}));

/** Phases 2–5 and the run's root job. */
const PIPELINE_QUEUES: QueueSpec[] = [
  { name: PIPELINE_QUEUE.run, group: 'pipeline', description: 'root job of a sync run: records the outcome', concurrency: 1 },
  { name: PIPELINE_QUEUE.link, group: 'pipeline', description: 'phase 2: link source entities to people', concurrency: 1, jobOptions: { attempts: 3 }, lockDurationMs: LONG_STEP_LOCK_MS },
  { name: PIPELINE_QUEUE.relationships, group: 'pipeline', description: 'phase 3: relationship discovery, then strengths', concurrency: 1, jobOptions: { attempts: 3 }, lockDurationMs: LONG_STEP_LOCK_MS },
  { name: PIPELINE_QUEUE.verify, group: 'pipeline', description: 'phase 4: verify cached counts against interactions', concurrency: 1, jobOptions: { attempts: 3 }, lockDurationMs: LONG_STEP_LOCK_MS },
  { name: PIPELINE_QUEUE.content, group: 'pipeline', description: `phase 5: content sync (${SOURCES.filter((s) => s.role === 'content').map((s) => s.description).join('; ')})`, concurrency: 2, jobOptions: { attempts: 3 }, lockDurationMs: LONG_STEP_LOCK_MS },
  { name: PIPELINE_QUEUE.schedule, group: 'pipeline', description: 'daily schedule: starts a sync run', concurrency: 1, jobOptions: { attempts: 1 } },
];

const SYSTEM_QUEUES: QueueSpec[] = [
  { name: 'maintenance', group: 'system', description: 'housekeeping jobs (log pruning, health snapshots)', concurrency: 1 },
];

/** The whole list, in one place. Each area contributes its own array. */
export const QUEUES: readonly QueueSpec[] = checkNames([...SOURCE_QUEUES, ...PIPELINE_QUEUES, ...HUB_QUEUES, ...SYSTEM_QUEUES]);

function checkNames(list: QueueSpec[]): QueueSpec[] {
  const seen = new Set<string>();
  for (const s of list) {
    if (seen.has(s.name)) throw new Error(`queue ${s.name} is declared twice`);
    if (!/^[a-z0-9][a-z0-9-]*$/.test(s.name)) throw new Error(`queue name ${s.name} must be lowercase kebab-case`);
    seen.add(s.name);
  }
  return list;
}

export function allQueues(): readonly QueueSpec[] {
  return QUEUES;
}

export function queueSpec(name: string): QueueSpec {
  const s = QUEUES.find((x) => x.name === name);
  if (!s) throw new Error(`unknown queue '${name}'; known queues: ${QUEUES.map((x) => x.name).join(', ')}`);
  return s;
}

export function jobOptionsFor(name: string): DefaultJobOptions {
  return { ...DEFAULT_JOB_OPTIONS, ...queueSpec(name).jobOptions };
}
