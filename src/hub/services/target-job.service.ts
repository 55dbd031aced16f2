import { recordPropagationError } from '../stores/contact-outbox.store.js';
import { isKithError } from '../../errors.js';
import type { Hub } from '../hub-context.js';
import type { TargetSystem } from '../jobs/hub-queues.js';
import type { FanoutItem } from './propagation.service.js';
import { type PushResult, pushToTarget } from './push.service.js';

export interface TargetJob {
  items: readonly FanoutItem[];
  guard?: boolean;
  /** Set when this job is a whole fan-out (its only target): it reports the fan-out, as a parent does. */
  summary?: Record<string, unknown>;
}

/**
 * One attempt of a target's job: the push, then its bookkeeping. A success clears the target's
 * failure alert (a "recovered" alert when one was sent). A failure is recorded on each contact's outbox row (`kith contacts show`), raised
 * as an alert — transient ones only after repeats (alerts.ts), at once when it is final (a fatal
 * error, or the job's last attempt) — and rethrown for BullMQ to retry.
 */
export async function runTargetJob(h: Hub, target: TargetSystem, job: TargetJob, attempt: { jobId?: string; last: boolean }): Promise<PushResult | Record<string, unknown>> {
  try {
    const r = await pushToTarget(h, target, job.items, { guard: job.guard });
    await h.alerts.clear('sync_failure', `push:${target}`);
    return job.summary ? { ...job.summary, ...r, finishedAt: Date.now() } : r;
  } catch (err) {
    const message = (err as Error).message;
    await h.db
      .tx(async (q) => {
        for (const it of job.items) await recordPropagationError(q, it.contactId, target, message);
      })
      .catch(() => undefined);
    const final = (isKithError(err) && !err.retryable) || attempt.last;
    await h.alerts.raise(
      { kind: 'sync_failure', subject: `push:${target}`, message: `writing ${job.items.length} contact(s) to ${target} failed${final ? ' for good' : ''}: ${message}`, details: { jobId: attempt.jobId } },
      { transient: !final },
    );
    throw err;
  }
}
