import { DelayedError } from 'bullmq';
import { z } from 'zod';
import { FatalError, isKithError } from '../../errors.js';
import { releaseRunLock } from '../../flows/start-run.js';
import { PIPELINE_QUEUE, sourceQueue } from '../../flows/sync-dag.js';
import { SOURCE_TYPES } from '../../sync/kith-config.js';
import { dependencyState, finishRun, getRun, markStepFinished, markStepStarted, type RunDetails } from '../../sync/run-store.js';
import { runStepService, runSummary } from '../../sync/step-services.js';
import { defineHandler, type JobHandler } from '../job-handler.js';
import type { HandlerDeps } from './index.js';

const stepData = z.object({ runId: z.string().min(1), stepId: z.string().min(1) });
const GATE_POLL_MS = 100;
const GATE_MAX_WAIT_MS = 6 * 3600 * 1000;
const FINISHED = new Set(['succeeded', 'failed', 'skipped']);

/** One handler per step queue: gate on dependencies, record the step, call its service. */
function stepHandler(queue: string, deps: HandlerDeps) {
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
        throw new DelayedError();
      }
      await markStepStarted(deps.db, runId, stepId);
      const details = JSON.parse(r.run.details ?? '{}') as RunDetails;
      try {
        const out = await runStepService(step, details, { db: deps.db, log, signal });
        await markStepFinished(deps.db, runId, stepId, 'succeeded', out);
        return { status: 'succeeded', records: out.records };
      } catch (err) {
        const final = (isKithError(err) && !err.retryable) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        await markStepFinished(deps.db, runId, stepId, final ? 'failed' : 'retrying', { error: (err as Error).message });
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

export const STEP_QUEUES = [PIPELINE_QUEUE.link, PIPELINE_QUEUE.relationships, PIPELINE_QUEUE.verify, PIPELINE_QUEUE.content, ...SOURCE_TYPES.filter((t) => t !== 'drive-export').map(sourceQueue)];

export function syncHandlers(deps: HandlerDeps): JobHandler[] {
  return [runFinisher(deps), ...STEP_QUEUES.map((q) => stepHandler(q, deps))];
}
