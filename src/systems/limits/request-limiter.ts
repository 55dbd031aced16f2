import { performance } from 'node:perf_hooks';
import { RateLimitedError } from '../../errors.js';

/**
 * Longest pause (a 429's Retry-After) a request sleeps out before it is sent. A longer one is not
 * waited for inside the caller: the request throws RateLimitedError with the pause's time left,
 * so a queue job gives its worker and its lock back (the worker host pauses the queue for that
 * long) rather than sitting in its handler past its lock.
 */
export const PAUSE_WAIT_MS = 1000;

/** The error a request that finds its budget paused for longer than a moment throws. */
export function pausedError(leftMs: number, service = 'requests'): RateLimitedError {
  const ms = Math.ceil(leftMs);
  return new RateLimitedError(`${service} paused for ${ms} ms more (Retry-After of an earlier answer)`, ms, 'rate_limited');
}

export interface RequestLimiterOptions {
  /** Requests allowed per window (Twenty documents 100 per minute). */
  limit: number;
  windowMs: number;
  /** Whose requests, for messages ("Twenty requests", "embedding requests"). */
  service?: string;
}

export interface RequestLimiterExtraOptions {
  /** Longest pause (a 429's Retry-After) a request waits out; a longer one throws RateLimitedError (default PAUSE_WAIT_MS). */
  pauseWaitMs?: number;
}

/** What a client needs of a limiter: one process's (`RequestLimiter`) or the deployment's (`SharedRequestLimiter`). */
export interface Limiter {
  readonly options: RequestLimiterOptions;
  /**
   * Wait for a slot; call the returned function once the response (or error) is in. Throws
   * RateLimitedError instead of waiting when requests are paused for longer than a moment.
   */
  acquire(cost?: number): Promise<() => void>;
  /** Hold every request back for `ms` (a 429 told us to). */
  pauseFor(ms: number): void;
}

/**
 * Sliding-window limiter shared by every call of one client, so Kith stays under the
 * provider's quota instead of discovering it through 429s. A slot is held from the moment a
 * request is sent until `windowMs` after its response arrived: the server sees the request
 * somewhere in between, so however latencies vary, no window the server can measure ever
 * holds more than `limit` of our requests. Waiters are served first come, first served. A
 * waiter that finds requests paused for longer than `pauseWaitMs` throws RateLimitedError.
 */
export class RequestLimiter implements Limiter {
  private readonly finished: number[] = [];
  private inFlight = 0;
  private pausedUntil = 0;
  private turn: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;
  private readonly pauseWaitMs: number;

  constructor(
    readonly options: RequestLimiterOptions,
    extra: RequestLimiterExtraOptions = {},
  ) {
    this.pauseWaitMs = extra.pauseWaitMs ?? PAUSE_WAIT_MS;
    if (!(options.limit >= 1) || !(options.windowMs > 0)) throw new RangeError('limiter needs limit >= 1 and windowMs > 0');
  }

  /** Wait for `cost` slots (a request's units); call the returned function once the response (or error) is in. */
  async acquire(cost = 1): Promise<() => void> {
    if (!Number.isInteger(cost) || cost < 1 || cost > this.options.limit) throw new RangeError(`request cost must be a whole number from 1 to ${this.options.limit} (got ${cost})`);
    const mine = this.turn.then(() => this.waitForSlot(cost));
    this.turn = mine.catch(() => undefined);
    await mine;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight -= cost;
      const now = performance.now();
      for (let i = 0; i < cost; i++) this.finished.push(now);
      this.wake?.();
    };
  }

  /** Hold every request back for `ms` (a 429 told us to). */
  pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, performance.now() + ms);
  }

  /** Requests counted against the current window (in flight or finished inside it). */
  get used(): number {
    this.expire(performance.now());
    return this.finished.length + this.inFlight;
  }

  private expire(now: number): void {
    while (this.finished.length && this.finished[0]! <= now - this.options.windowMs) this.finished.shift();
  }

  private async waitForSlot(cost: number): Promise<void> {
    for (;;) {
      const now = performance.now();
      this.expire(now);
      const paused = this.pausedUntil - now;
      if (paused <= 0 && this.finished.length + this.inFlight + cost <= this.options.limit) {
        this.inFlight += cost;
        return;
      }
      if (paused > this.pauseWaitMs) throw pausedError(paused, this.options.service);
      // Sleep until the oldest slot expires, the pause ends, or an in-flight request finishes.
      const frees = this.finished.length + this.inFlight + cost - this.options.limit - 1;
      const ms = paused > 0 ? paused : this.finished.length ? this.finished[Math.min(Math.max(0, frees), this.finished.length - 1)]! + this.options.windowMs - now + 1 : undefined;
      await new Promise<void>((resolve) => {
        const timer = ms === undefined ? undefined : setTimeout(resolve, Math.ceil(ms));
        this.wake = () => {
          if (timer) clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}
