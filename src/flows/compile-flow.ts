import type { FlowJob, FlowJobNode, JobsOptions } from 'bullmq';
import { jobOptionsFor } from '../queues/queue-registry.js';
import { PIPELINE_QUEUE } from '../sync/pipeline-queues.js';
import type { DagStep } from './sync-dag.js';

export interface StepJobData {
  runId: string;
  stepId: string;
}

/** BullMQ custom job ids may not contain ':'; ours are `<runId>.<step>`. */
export const stepJobId = (runId: string, stepId: string) => `${runId}.${stepId.replace(/:/g, '-')}`;

/**
 * Compile the DAG into one FlowProducer tree. BullMQ runs a parent after all its children, so
 * each step becomes a child of the first step that depends on it (or of the run's root job);
 * any other dependency of a step (a diamond, as the phase 4 steps all after phase 3) is
 * enforced by the step worker's gate, which checks the recorded step states before running.
 * Every job ignores its children's failures: what a failure means is the step's policy, decided
 * from the database, so a failed source never stalls the run.
 */
export function compileFlow(runId: string, steps: readonly DagStep[]): FlowJob {
  const parentOf = new Map<string, string>();
  for (const s of steps) {
    for (const d of s.dependsOn) if (!parentOf.has(d)) parentOf.set(d, s.id);
  }
  const childrenOf = new Map<string, DagStep[]>();
  for (const s of steps) {
    const p = parentOf.get(s.id) ?? '__root__';
    childrenOf.set(p, [...(childrenOf.get(p) ?? []), s]);
  }
  const opts = (queue: string, id: string): JobsOptions => ({
    ...jobOptionsFor(queue),
    jobId: id,
    ignoreDependencyOnFailure: true,
  });
  const node = (s: DagStep): FlowJobNode => ({
    name: s.id,
    queueName: s.queue,
    data: { runId, stepId: s.id } satisfies StepJobData,
    opts: opts(s.queue, stepJobId(runId, s.id)),
    children: (childrenOf.get(s.id) ?? []).map(node),
  });
  return {
    name: 'sync-run',
    queueName: PIPELINE_QUEUE.run,
    data: { runId },
    opts: { ...opts(PIPELINE_QUEUE.run, runId), attempts: 3 },
    children: (childrenOf.get('__root__') ?? []).map(node),
  };
}
