/**
 * One step of the unified sync (seed 000) as data: its phase, the steps it depends on, the
 * queue whose workers run it, and what its failure means for the run. `src/flows/sync-dag.ts`
 * builds the steps from the configured sources; the run store records them.
 */
export type FailurePolicy = 'continue' | 'fail-run';

export interface DagStep {
  id: string;
  phase: 1 | 2 | 3 | 4 | 5;
  dependsOn: string[];
  queue: string;
  failurePolicy: FailurePolicy;
  /** What the step's worker needs beyond the run id (the source's id, …). */
  params: Record<string, unknown>;
}
