import { DelayedError, type Queue } from 'bullmq';
import { stepJobId } from '../../flows/compile-flow.js';
import { createRedis } from '../../redis/connection.js';
import { openQueue } from '../../redis/queue-objects.js';
import { z } from 'zod';
import { FatalError, isKithError } from '../../errors.js';
import { releaseRunLock } from '../../flows/start-run.js';
import { PIPELINE_QUEUE } from '../../sync/pipeline-queues.js';
import { dependencyState, finishRun, getRun, markStepFinished, markStepStarted, type RunDetails, type StepRow } from '../../sync/run.store.js';
import { runSummary } from '../../sync/run-summary.js';
import { runStep, stepQueues } from '../../sync/steps/index.js';
import { defineHandler, type JobHandler } from '../job-handler.js';
import type { HandlerDeps } from '../handler-deps.js';

const stepData = z.object({ runId: z.string().min(1), stepId: z.string().min(1) });
/** Gated steps are woken by the step they wait for; polling is only the fallback. */
const GATE_POLL_MS = 1000;
const GATE_MAX_WAIT_MS = 6 * 3600 * 1000;
const FINISHED = new Set(['succeeded', 'failed', 'skipped']);

/**
 * When a step ends, wake the steps that wait on it through the gate (not through BullMQ's
 * parent/child link): their parked jobs are promoted from delayed, so phase 4 and phase 5 start
 * together instead of one poll interval apart.
 */
async function wakeGatedDependents(queues: QueueCache, runId: string, stepId: string, steps: readonly StepRow[]): Promise<void> {
  const treeParent = steps.find((s) => (JSON.parse(s.depends_on) as string[]).includes(stepId));
  for (const s of steps) {
    if (s === treeParent || !(JSON.parse(s.depends_on) as string[]).includes(stepId)) continue;
    const job = await queues.get(s.queue).getJob(stepJobId(runId, s.step_id));
    if (job && (await job.isDelayed())) await job.promote().catch(() => undefined);
  }
}

/** One handler per step queue: gate on dependencies, record the step, run its declaration. */
function stepHandler(queue: string, deps: HandlerDeps, queues: QueueCache) {
  return defineHandler({
    queue,
    schema: stepData,
    async handle({ runId, stepId }, { job, log, signal }) {
      const r = await getRun(deps.db, runId);
      const step = r?.steps.find((s) => s.step_id === stepId);
      if (!r || !step) throw new FatalError(`step ${stepId} of run ${runId} is not recorded in the database`);
      if (FINISHED.has(step.status)) return { status: step.status, redelivered: true }; // at-least-once: never run twice
      const gate = dependencyState(step, r.steps);
      if (gate === 'blocked' || (gate === 'waiting' && Date.now() - job.timestamp > GATE_MAX_WAIT_MS)) {
        await markStepFinished(deps.db, runId, stepId, 'skipped', { error: gate === 'blocked' ? 'a step it depends on failed' : 'gave up waiting for its dependencies' });
        return { status: 'skipped' };
      }
      if (gate === 'waiting') {
        await job.moveToDelayed(Date.now() + GATE_POLL_MS, job.token);
        // What it waits for may have finished between the check above and parking: its waker then
        // found this job still active and left it, so it would lose a poll interval. Now that the
        // job is parked, either the waker sees it delayed or this second look sees the step done.
        const now = await getRun(deps.db, runId);
        const again = now?.steps.find((s) => s.step_id === stepId);
        if (now && again && dependencyState(again, now.steps) !== 'waiting') await job.promote().catch(() => undefined);
        throw new DelayedError();
      }
      await markStepStarted(deps.db, runId, stepId);
      const details = JSON.parse(r.run.details ?? '{}') as RunDetails;
      try {
        const out = await runStep(step, details, { db: deps.db, log, signal });
        await markStepFinished(deps.db, runId, stepId, 'succeeded', out);
        await wakeGatedDependents(queues, runId, stepId, r.steps);
        return { status: 'succeeded', records: out.records };
      } catch (err) {
        const final = (isKithError(err) && !err.retryable) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        await markStepFinished(deps.db, runId, stepId, final ? 'failed' : 'retrying', { error: (err as Error).message });
        if (final) await wakeGatedDependents(queues, runId, stepId, r.steps);
        throw err;
      }
    },
  });
}

/** The run's root job: runs after every step; records the outcome and frees the run lock. */
function runFinisher(deps: HandlerDeps) {
  return defineHandler({
    queue: PIPELINE_QUEUE.run,
    schema: z.object({ runId: z.string().min(1) }),
    async handle({ runId }, { log }) {
      const summary = await runSummary(deps.db);
      const status = await finishRun(deps.db, runId, summary);
      await releaseRunLock(deps.redisUrl, deps.prefix, runId);
      log.info({ runId, status, ...summary }, `sync run ${status}`);
      return { runId, status, ...summary };
    },
  });
}

/** Every queue a DAG step can run on: the source queues and phases 2–5 (not the run's root). */
export const STEP_QUEUES = stepQueues();

/** Queue handles for promoting parked jobs, opened on first use and shared per process. */
class QueueCache {
  private readonly queues = new Map<string, Queue>();
  private conn: ReturnType<typeof createRedis> | undefined;
  constructor(private readonly deps: HandlerDeps) {}
  get(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      this.conn ??= createRedis(this.deps.redisUrl, { name: `kith:${this.deps.prefix}:step-gates` });
      q = openQueue(name, { connection: this.conn, prefix: this.deps.prefix }, this.deps.log);
      this.queues.set(name, q);
    }
    return q;
  }
  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    await this.conn?.quit().catch(() => this.conn?.disconnect());
  }
}

export function syncHandlers(deps: HandlerDeps): JobHandler[] {
  const queues = new QueueCache(deps);
  deps.onClose?.(() => queues.close());
  return [runFinisher(deps), ...STEP_QUEUES.map((q) => stepHandler(q, deps, queues))];
}
