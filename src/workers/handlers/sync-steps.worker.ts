import { DelayedError, type Job, type Queue } from 'bullmq';
import { stepJobId } from '../../flows/compile-flow.js';
import { createRedis } from '../../redis/connection.js';
import { openQueue } from '../../redis/queue-objects.js';
import { z } from 'zod';
import { FatalError, isKithError } from '../../errors.js';
import { releaseRunLock } from '../../flows/start-run.js';
import { PIPELINE_QUEUE } from '../../sync/pipeline-queues.js';
import {
  dependencyState,
  failUnfinishedStep,
  finishRun,
  getRun,
  markStepFinished,
  markStepStarted,
  type RunDetails,
  type StepRow,
  UNFINISHED_STEP,
} from '../../sync/run.store.js';
import { runSummary } from '../../sync/run-summary.js';
import { runStep, stepQueues } from '../../sync/steps/index.js';
import { defineHandler, type JobHandler } from '../job-handler.js';
import type { HandlerDeps } from '../handler-deps.js';
import type { Logger } from '../../log/logger.js';

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

/** Why a step's job ended without its handler recording an outcome, in words for `kith status`. */
export function deadJobReason(job: Job | undefined): string {
  if (!job) return 'its job is no longer on the queue: it ended without recording an outcome';
  const reason = job.failedReason || 'its job failed without running';
  if (!/stalled more than allowable limit/.test(reason)) return reason;
  const times = job.stalledCounter === 2 ? 'twice' : `${job.stalledCounter} times`;
  return `${reason}: its worker process died ${times} while running it`;
}

/**
 * A step still unfinished in the database whose job has failed or is gone never records its own
 * outcome: BullMQ's stalled-job script marks a job that stalled more than `maxStalledCount`
 * times (its worker died each time) for failure and puts it back on its queue, and the worker
 * that next takes it fails it without running the handler. Wherever a step's state is judged, such a step is recorded as failed with the job's
 * reason, and the steps gated on it are woken, so the run follows the step's failure policy
 * instead of waiting for it. Returns whether any step changed.
 */
async function recordDeadSteps(deps: HandlerDeps, queues: QueueCache, runId: string, steps: readonly StepRow[], candidates: readonly StepRow[], log: Logger): Promise<boolean> {
  let changed = false;
  for (const s of candidates) {
    if (!UNFINISHED_STEP.has(s.status)) continue;
    const queue = queues.get(s.queue);
    const jobId = stepJobId(runId, s.step_id);
    const state = await queue.getJobState(jobId);
    if (state !== 'failed' && state !== 'unknown') continue;
    // Read after its state, so the job carries the reason it failed with.
    const reason = deadJobReason(await queue.getJob(jobId));
    if (!(await deps.db.tx((q) => failUnfinishedStep(q, runId, s.step_id, reason)))) continue;
    log.warn({ runId, stepId: s.step_id, reason }, `step ${s.step_id} failed without recording its outcome: ${reason}`);
    changed = true;
    await wakeGatedDependents(queues, runId, s.step_id, steps);
  }
  return changed;
}

/** One handler per step queue: gate on dependencies, record the step, run its declaration. */
function stepHandler(queue: string, deps: HandlerDeps, queues: QueueCache) {
  return defineHandler({
    queue,
    schema: stepData,
    async handle({ runId, stepId }, { job, log, signal }) {
      let r = await getRun(deps.db, runId);
      let step = r?.steps.find((s) => s.step_id === stepId);
      if (!r || !step) throw new FatalError(`step ${stepId} of run ${runId} is not recorded in the database`);
      if (FINISHED.has(step.status)) return { status: step.status, redelivered: true }; // at-least-once: never run twice
      let gate = dependencyState(step, r.steps);
      if (gate === 'waiting') {
        const waitedOn = new Set(JSON.parse(step.depends_on) as string[]);
        if (await recordDeadSteps(deps, queues, runId, r.steps, r.steps.filter((s) => waitedOn.has(s.step_id)), log)) {
          r = (await getRun(deps.db, runId))!;
          step = r.steps.find((s) => s.step_id === stepId)!;
          gate = dependencyState(step, r.steps);
        }
      }
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
        const progress = (p: object) => void job.updateProgress({ step: stepId, ...p }).catch(() => undefined);
        const out = await runStep(step, details, { db: deps.db, log, signal, progress, redisUrl: deps.redisUrl, prefix: deps.prefix });
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
function runFinisher(deps: HandlerDeps, queues: QueueCache) {
  return defineHandler({
    queue: PIPELINE_QUEUE.run,
    schema: z.object({ runId: z.string().min(1) }),
    async handle({ runId }, { log }) {
      // Every step's job has ended by now: one still unfinished in the database died unrecorded.
      const r = await getRun(deps.db, runId);
      if (r) await recordDeadSteps(deps, queues, runId, r.steps, r.steps, log);
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
  return [runFinisher(deps, queues), ...STEP_QUEUES.map((q) => stepHandler(q, deps, queues))];
}
