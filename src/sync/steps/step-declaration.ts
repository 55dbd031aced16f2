import type { Db } from '../../db/db.js';
import type { Logger } from '../../log/logger.js';
import type { ReadProgress } from '../../sources/source-event.js';
import type { SyncCounts } from '../sync-log.store.js';
import type { ConfiguredSource } from '../kith-config.js';
import type { DagStep, FailurePolicy, Phase, RunDetails, StepRow } from '../run.store.js';

export type { DagStep, FailurePolicy, Phase };

export interface StepOutput {
  records: number;
  result?: unknown;
  /**
   * What the step did to records, for its `sync_logs` row. A figure the step cannot tell stays
   * out (0 in the log); its whole result is kept in the row's details.
   */
  counts?: Partial<SyncCounts>;
}

/** What a step's function is given: its recorded row, the run's details, and the worker's means. */
export interface StepContext {
  step: StepRow;
  details: RunDetails;
  db: Db;
  log: Logger;
  signal?: AbortSignal;
  /** Report how far the step has come (the queue job's progress: `kith sync`, Bull Board). */
  progress?: (p: ReadProgress) => void;
  /** The configured source of a per-source step. */
  source?: ConfiguredSource;
  /** The deployment's Redis and queue prefix, for steps that hand work to the contact hub. */
  redisUrl?: string;
  prefix?: string;
}

/** The steps planned so far for one run, for a declaration to name what it depends on. */
export interface PlannedSteps {
  /** Ids of the planned steps of declaration `name`, optionally only those of some sources. */
  ids(name: string, where?: (source: ConfiguredSource) => boolean): string[];
}

interface StepDeclarationBase {
  /** The step's id, or for a per-source step the prefix of `<name>:<source id>`. */
  name: string;
  phase: Phase;
  failurePolicy: FailurePolicy;
  run(ctx: StepContext): Promise<StepOutput>;
}

/** One step per run (entity linking, relationships, …). */
export interface RunStepDeclaration extends StepDeclarationBase {
  perSource?: undefined;
  queue: string;
  dependsOn(planned: PlannedSteps): string[];
}

/** One step per configured source whose declaration has this role. */
export interface SourceStepDeclaration extends StepDeclarationBase {
  perSource: 'collection' | 'content';
  /** The queue of a source type's step. */
  queue(sourceType: string): string;
  dependsOn(planned: PlannedSteps, source: ConfiguredSource): string[];
}

/**
 * What a sync step is, declared once: id, phase, dependencies, queue, failure policy and the
 * function it runs. `steps/index.ts` lists them; the DAG, the step worker's queues and its
 * dispatch all derive from that list.
 */
export type StepDeclaration = RunStepDeclaration | SourceStepDeclaration;

export function defineStep<D extends StepDeclaration>(d: D): D {
  return d;
}
