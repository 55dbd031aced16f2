import { hostname } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DelayedError, type Job, UnrecoverableError, WaitingChildrenError, Worker } from 'bullmq';
import { isKithError, RateLimitedError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { JobMetricsRecorder } from '../queues/job-metrics.js';
import { QUEUES, queueSpec, splitGroupQueue } from '../queues/queue-registry.js';
import { createRedis, type RedisClient } from '../redis/connection.js';
import { handleClosed, handleOpened } from '../support/open-handles.js';
import type { JobHandler } from './job-handler.js';

export interface WorkerHostOptions {
  redisUrl: string;
  prefix: string;
  handlers: readonly JobHandler[];
  /** Serve only these queues (default: every queue that has a handler). */
  queues?: readonly string[];
  concurrency?: number;
  log: Logger;
  /** Override queue specs' concurrency lookups (tests use ad-hoc queues). */
  concurrencyFor?: (queue: string) => number;
  /** Job lock duration for every queue served (default: the queue's own, else BullMQ's 30 s); a crashed process's jobs run again within about 1.25 × this. */
  lockDurationMs?: number;
}

export interface WorkerHost {
  readonly queues: readonly string[];
  readonly workers: readonly Worker[];
  /**
   * Stop taking jobs, let active ones finish for `graceMs`, then abort them: a handler that
   * honours its signal is put back on the queue (no attempt consumed); one that does not is
   * recovered by BullMQ's stalled-job check when its lock expires. Either way nothing is lost.
   */
  close(graceMs?: number): Promise<void>;
}

const SHUTDOWN = 'kith-shutdown';

function formatZodPath(path: readonly PropertyKey[]): string {
  return path.length ? path.map(String).join('.') : '(root)';
}

/** BullMQ's default job lock, for queues that declare none. */
export const DEFAULT_LOCK_MS = 30_000;

/**
 * A job's lock and how often its worker looks for stalled jobs. A step that holds the event loop
 * in long synchronous database work cannot renew its lock: such queues declare a longer lock so
 * a busy job is never mistaken for a stalled one. A killed worker's job is taken back by the
 * first stalled check after its lock has expired and after the check before it saw the job: the
 * check runs every quarter of the lock (at least every second), so the job runs again within
 * about 1.25 × the lock, not twice the lock as with a check every lock period. A job that
 * stalls more than `maxStalledCount` times (1: its worker died twice) is failed by the next
 * worker that takes it, without running its handler; the sync's gate and root job record that
 * as a failed step.
 */
export function lockOptions(queue: string, lockDurationMs?: number): { lockDuration: number; stalledInterval: number; maxStalledCount: number } {
  const base = splitGroupQueue(queue).base;
  const lockDuration = lockDurationMs ?? QUEUES.find((q) => q.name === base)?.lockDurationMs ?? DEFAULT_LOCK_MS;
  return { lockDuration, stalledInterval: Math.max(1000, Math.floor(lockDuration / 4)), maxStalledCount: 1 };
}

/**
 * Watch the event loop: BullMQ renews a job's lock from a timer (every half of `lockRenewTime`,
 * itself half the lock), so a loop held back for more than a quarter of the lock, twice in a
 * job's life, is enough for a live worker's job to be taken as stalled. Each second in which the
 * loop was held back that long is logged as a warning (with the longest delay): the evidence
 * for a job that "stalled" although no process died.
 */
function watchEventLoop(lockMs: number, log: Logger): () => void {
  const threshold = Math.max(250, Math.floor(lockMs / 4));
  const h = monitorEventLoopDelay({ resolution: 20 });
  h.enable();
  const timer = setInterval(() => {
    const maxMs = Math.round(h.max / 1e6);
    h.reset();
    if (maxMs > threshold) log.warn({ eventLoopDelayMs: maxMs, lockMs }, `event loop held back ${maxMs} ms (job lock ${lockMs} ms): lock renewals were late`);
  }, 1000);
  timer.unref();
  return () => {
    clearInterval(timer);
    h.disable();
  };
}

/**
 * A limiter that never limits by count, so that BullMQ's scripts honour the queue's manual rate
 * limit (`worker.rateLimit`, set on a target's 429): they read the limit only when the worker
 * declares a `limiter`. Without one, a slot that finished a job during the pause took the next
 * one into active (its lock running) while the worker waited out the pause before starting it:
 * with a Retry-After longer than the lock, that job stalled before its handler even ran.
 */
const RATE_LIMIT_AWARE = { max: 1_000_000_000, duration: 1000 };

interface Attempt {
  end: () => void;
  ended: Promise<void>;
}

function startAttempt(attempts: Map<string, Attempt[]>, jobId: string | undefined): Attempt {
  let end!: () => void;
  const a: Attempt = { end: () => end(), ended: new Promise<void>((r) => (end = r)) };
  if (jobId === undefined) return a;
  const list = attempts.get(jobId) ?? [];
  list.push(a);
  attempts.set(jobId, list);
  return a;
}

/**
 * An attempt whose lock lapsed (its renewals were late: a busy event loop, a slow Redis) is put
 * back on the queue by the stalled check while its handler still runs, and this worker may take
 * the job again in another slot. BullMQ renews locks per job id: when the first attempt ends it
 * stops renewing the id, so the second attempt's lock lapses too and the job, stalled twice,
 * fails for good ("job stalled more than allowable limit") although no worker died. An attempt
 * therefore ends only after every newer attempt of its job in this worker has ended; its own
 * result is refused by BullMQ (its lock is gone), the newer attempt's counts.
 */
async function outliveNewerAttempts(attempts: Map<string, Attempt[]>, jobId: string | undefined, mine: Attempt): Promise<void> {
  if (jobId === undefined) return mine.end();
  const list = attempts.get(jobId) ?? [];
  const newer = list.slice(list.indexOf(mine) + 1);
  await Promise.all(newer.map((a) => a.ended));
  const rest = (attempts.get(jobId) ?? []).filter((a) => a !== mine);
  if (rest.length) attempts.set(jobId, rest);
  else attempts.delete(jobId);
  mine.end();
}

export async function startWorkerHost(opts: WorkerHostOptions): Promise<WorkerHost> {
  const byQueue = new Map(opts.handlers.map((h) => [h.queue, h]));
  const names = opts.queues ?? [...byQueue.keys()];
  // A worker group's queue (`source-mbox@laptop`) runs its base queue's handler.
  const handlerOf = (q: string) => byQueue.get(q) ?? (splitGroupQueue(q).group !== undefined ? byQueue.get(splitGroupQueue(q).base) : undefined);
  for (const q of names) {
    if (!handlerOf(q)) throw new Error(`no worker handles queue '${q}'; queues with workers: ${[...byQueue.keys()].join(', ')} (and <queue>@<worker group> for the source queues)`);
    if (splitGroupQueue(q).group !== undefined) queueSpec(q); // a malformed group or a queue without group queues is refused
  }
  const metricsRedis = createRedis(opts.redisUrl, { name: `kith:${opts.prefix}:worker-metrics` });
  let shuttingDown = false;
  const workers: Worker[] = [];
  const connections: RedisClient[] = [metricsRedis];
  const metrics = new JobMetricsRecorder(metricsRedis, opts.prefix);

  for (const name of names) {
    const handler = handlerOf(name)!;
    const log = opts.log.child({ queue: name });
    const connection = createRedis(opts.redisUrl, { name: `kith:${opts.prefix}:worker:${name}` });
    connections.push(connection);
    const concurrency = opts.concurrency ?? opts.concurrencyFor?.(name) ?? queueSpec(name).concurrency;

    // Attempts of each job running in this worker, oldest first (see `outliveNewerAttempts`).
    const attempts = new Map<string, Attempt[]>();
    const processor = async (job: Job, token?: string, signal?: AbortSignal) => {
      const mine = startAttempt(attempts, job.id);
      try {
        return await runAttempt(job, token, signal);
      } finally {
        await outliveNewerAttempts(attempts, job.id, mine);
      }
    };

    const runAttempt = async (job: Job, token?: string, signal?: AbortSignal) => {
      const parsed = handler.schema.safeParse(job.data);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new UnrecoverableError(`job data invalid: ${formatZodPath(issue.path)}: ${issue.message}`);
      }
      const started = performance.now();
      const ctl = new AbortController();
      signal?.addEventListener('abort', () => ctl.abort(signal.reason), { once: true });
      try {
        const out = await handler.handle(parsed.data, { job, signal: ctl.signal, log: log.child({ jobId: job.id }) });
        metrics.record(name, 'completed', (performance.now() - started) / 1000);
        return out;
      } catch (err) {
        // A handler that parked its own job (a dependency gate) is neither failed nor retried.
        if (err instanceof DelayedError || err instanceof WaitingChildrenError) throw err;
        const seconds = (performance.now() - started) / 1000;
        if (ctl.signal.aborted && shuttingDown && token) {
          // Released, not failed: back to the queue for another process, attempt not consumed.
          await job.moveToDelayed(Date.now(), token);
          metrics.record(name, 'released', seconds);
          throw new DelayedError();
        }
        if (err instanceof RateLimitedError) {
          log.warn({ retryAfterMs: err.retryAfterMs }, `rate limited: pausing queue for ${err.retryAfterMs} ms`);
          await worker.rateLimit(err.retryAfterMs);
          metrics.record(name, 'rate_limited', seconds);
          throw Worker.RateLimitError();
        }
        const final = (isKithError(err) && !err.retryable) || err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        metrics.record(name, final ? 'failed' : 'retried', seconds);
        if (isKithError(err) && !err.retryable) {
          throw new UnrecoverableError(`${err.name}${err.code ? ` [${err.code}]` : ''}: ${err.message}`);
        }
        throw err;
      }
    };

    // `name` is stored on every job it takes (`processedBy`): which host and process ran it.
    const worker: Worker = new Worker(name, processor, { connection, prefix: opts.prefix, concurrency, autorun: true, name: `${hostname()}/${process.pid}`, limiter: RATE_LIMIT_AWARE, ...lockOptions(name, opts.lockDurationMs) });
    const handle = handleOpened('BullMQ worker', `${opts.prefix}:${name}`);
    worker.once('closed', () => handleClosed(handle));
    worker.on('failed', (job, err) => {
      if (err.name === 'DelayedError' || err.message === 'bullmq:rateLimitExceeded') return;
      log.warn({ jobId: job?.id, attemptsMade: job?.attemptsMade, err: err.message }, 'job failed');
    });
    worker.on('error', (err) => log.error({ err: err.message }, 'worker error'));
    worker.on('stalled', (jobId) => log.warn({ jobId }, 'job stalled: its lock lapsed, put back on the queue (or failed after too many stalls)'));
    workers.push(worker);
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  const stopWatching = watchEventLoop(Math.min(...names.map((n) => lockOptions(n, opts.lockDurationMs).lockDuration)), opts.log);
  opts.log.info({ queues: names }, `serving ${names.length} queue(s)`);

  return {
    queues: names,
    workers,
    async close(graceMs = 10_000) {
      shuttingDown = true;
      stopWatching();
      const closing = Promise.all(workers.map((w) => w.close()));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        closing.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        opts.log.warn(`active jobs still running after ${graceMs} ms: releasing them back to their queues`);
        for (const w of workers) w.cancelAllJobs(SHUTDOWN);
        const released = await Promise.race([closing.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 2000))]);
        if (!released) await Promise.all(workers.map((w) => w.close(true)));
      }
      await Promise.all(workers.map((w) => w.disconnect().catch(() => undefined)));
      await metrics.close().catch((err: Error) => opts.log.warn({ err: err.message }, 'job metrics of the last second not recorded'));
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}

