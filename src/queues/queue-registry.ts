import type { DefaultJobOptions } from 'bullmq';
import { PIPELINE_QUEUE, sourceQueue } from '../sync/pipeline-queues.js';
import { COLLECTION_SOURCES, SOURCES } from '../sources/registry.js';
import { HUB_QUEUES } from '../hub/jobs/hub-queues.js';
import { TABLE_QUEUES } from '../tables/jobs/table-queues.js';

/**
 * Every queue Kith uses, declared as data: its name, which worker group serves it by default,
 * and its job options. Worker processes pick queues by name (`kith worker --queues …`), so one
 * source can run in its own process; docker-compose does exactly that.
 */
export interface QueueSpec {
  name: string;
  /** Worker group for deployment: processes are split along these lines in docker-compose. */
  group: 'sources' | 'pipeline' | 'contacts' | 'tables' | 'system';
  description: string;
  concurrency: number;
  jobOptions?: DefaultJobOptions;
  /** Job lock for queues whose jobs run long synchronous steps (default: BullMQ's 30 s). */
  lockDurationMs?: number;
  /**
   * Its jobs read one configured source's files (a collection, a Drive export), so a source
   * entry's `group` may route them to a worker group of its own: `<name>@<group>`.
   */
  readsSourceFiles?: true;
  /** Set on a worker group's queue: the group whose workers serve it. */
  workerGroup?: string;
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
  readsSourceFiles: true,
}));

/** Phases 2–5 and the run's root job. */
const PIPELINE_QUEUES: QueueSpec[] = [
  { name: PIPELINE_QUEUE.run, group: 'pipeline', description: 'root job of a sync run: records the outcome', concurrency: 1 },
  { name: PIPELINE_QUEUE.link, group: 'pipeline', description: 'phase 2: link source entities to people', concurrency: 1, jobOptions: { attempts: 3 }, lockDurationMs: LONG_STEP_LOCK_MS },
  { name: PIPELINE_QUEUE.relationships, group: 'pipeline', description: 'phase 3: relationship discovery, then strengths', concurrency: 1, jobOptions: { attempts: 3 }, lockDurationMs: LONG_STEP_LOCK_MS },
  { name: PIPELINE_QUEUE.verify, group: 'pipeline', description: 'phase 4: verify cached counts against interactions', concurrency: 1, jobOptions: { attempts: 3 }, lockDurationMs: LONG_STEP_LOCK_MS },
  { name: PIPELINE_QUEUE.content, group: 'pipeline', description: `phase 5: content sync (${SOURCES.filter((s) => s.role === 'content').map((s) => s.description).join('; ')})`, concurrency: 2, jobOptions: { attempts: 3 }, lockDurationMs: LONG_STEP_LOCK_MS, readsSourceFiles: true },
  { name: PIPELINE_QUEUE.index, group: 'pipeline', description: 'phase 4: search index of notes, mail, calendar and messages', concurrency: 2, jobOptions: { attempts: 3 }, lockDurationMs: LONG_STEP_LOCK_MS },
  { name: PIPELINE_QUEUE.schedule, group: 'pipeline', description: 'daily schedule: starts a sync run', concurrency: 1, jobOptions: { attempts: 1 } },
];

const SYSTEM_QUEUES: QueueSpec[] = [
  { name: 'maintenance', group: 'system', description: 'housekeeping jobs (log pruning, health snapshots)', concurrency: 1 },
];

/** The whole list, in one place. Each area contributes its own array. */
export const QUEUES: readonly QueueSpec[] = checkNames([...SOURCE_QUEUES, ...PIPELINE_QUEUES, ...HUB_QUEUES, ...TABLE_QUEUES, ...SYSTEM_QUEUES]);

function checkNames(list: QueueSpec[]): QueueSpec[] {
  const seen = new Set<string>();
  for (const s of list) {
    if (seen.has(s.name)) throw new Error(`queue ${s.name} is declared twice`);
    if (!/^[a-z0-9][a-z0-9-]*$/.test(s.name)) throw new Error(`queue name ${s.name} must be lowercase kebab-case`);
    seen.add(s.name);
  }
  return list;
}

/** A worker group's name, as a source entry's `group` and `kith worker --group` give it. */
export const WORKER_GROUP_NAME = /^[a-z0-9][a-z0-9-]*$/;

/** The queue of `base`'s jobs routed to one worker group: `source-mbox@laptop`. */
export const groupQueue = (base: string, group: string) => `${base}@${group}`;

/** A queue name's base queue and worker group (none for a queue every worker may serve). */
export function splitGroupQueue(name: string): { base: string; group?: string } {
  const at = name.indexOf('@');
  return at < 0 ? { base: name } : { base: name.slice(0, at), group: name.slice(at + 1) };
}

/**
 * A worker group's queues, derived from the registry: one per queue whose jobs read source
 * files, with that queue's options. Only workers of the group (`kith worker --group <group>`)
 * serve them.
 */
export function groupQueues(group: string): QueueSpec[] {
  if (!WORKER_GROUP_NAME.test(group)) throw new Error(`worker group '${group}' must be lowercase letters, digits and dashes`);
  return QUEUES.filter((q) => q.readsSourceFiles).map((q) => ({ ...q, name: groupQueue(q.name, group), description: `${q.description}, for sources of worker group ${group}`, workerGroup: group }));
}

/**
 * The queues a worker process of `group` serves: with no list, all of the group's queues; in a
 * list, a queue that reads source files names the group's own (`source-mbox` →
 * `source-mbox@laptop`), any other queue itself. Without a group, the list as given.
 */
export function servedQueues(list: readonly string[] | undefined, group: string | undefined): string[] | undefined {
  if (!group) return list ? [...list] : undefined;
  const own = groupQueues(group);
  if (!list) return own.map((q) => q.name);
  return list.map((name) => (own.some((q) => q.name === groupQueue(name, group)) ? groupQueue(name, group) : name));
}

/** Every queue, and the queues of these worker groups (those a configuration names). */
export function allQueues(groups: readonly string[] = []): readonly QueueSpec[] {
  return groups.length ? [...QUEUES, ...[...new Set(groups)].flatMap(groupQueues)] : QUEUES;
}

const GROUPED = () => QUEUES.filter((q) => q.readsSourceFiles).map((q) => q.name).join(', ');

export function queueSpec(name: string): QueueSpec {
  const { base, group } = splitGroupQueue(name);
  const s = QUEUES.find((x) => x.name === base);
  if (!s) throw new Error(`unknown queue '${name}'; known queues: ${QUEUES.map((x) => x.name).join(', ')}, and <queue>@<worker group> for ${GROUPED()}`);
  if (group === undefined) return s;
  if (!s.readsSourceFiles) throw new Error(`queue '${base}' has no worker group queues ('${name}'): only ${GROUPED()} do`);
  return groupQueues(group).find((q) => q.name === name)!;
}

export function jobOptionsFor(name: string): DefaultJobOptions {
  return { ...DEFAULT_JOB_OPTIONS, ...queueSpec(name).jobOptions };
}
