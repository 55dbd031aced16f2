import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import { RateLimitedError, TemporaryError } from '../../errors.js';
import type { Limiter } from '../limits/request-limiter.js';
import { jitteredBackoff } from '../google/google-request.js';
import { classifySlackError, type SlackAnswer } from './slack-errors.js';
import type { SlackMethod } from './slack-tiers.js';

export interface SlackClientOptions {
  /** The Web API root (`slackApiUrl`): Slack's, a proxy's, or a loopback emulator's. */
  baseUrl: string;
  token: string;
  /** The shared limiter of each method (its tier's budget in Redis). */
  limiter: (method: SlackMethod) => Limiter;
  /** Attempts after a 5xx or network error (rate limiting spends none). */
  maxRetries?: number;
  /** First back-off when no Retry-After was given (doubled per attempt, with jitter). */
  backoffMs?: number;
  /** Rate-limited answers in a row after which the call gives up (RateLimitedError: the job is delayed). */
  maxRateLimited?: number;
  signal?: AbortSignal;
  onRateLimited?: () => void;
  timeoutMs?: number;
}

/** Thrown for `invalid_cursor`: the pagination cursor the caller passed is no longer accepted. */
export class SlackInvalidCursorError extends Error {
  override name = 'SlackInvalidCursorError';
}

/** The status, `error`, `needed` and Retry-After of a failed WebClient call. */
export function answerOf(err: unknown): SlackAnswer {
  const e = err as { code?: string; data?: { error?: string; needed?: string }; statusCode?: number; retryAfter?: number; original?: Error; message?: string };
  switch (e.code) {
    case ErrorCode.PlatformError:
      return { error: e.data?.error ?? 'unknown_error', ...(e.data?.needed ? { needed: e.data.needed } : {}) };
    case ErrorCode.RateLimitedError:
      return { status: 429, ...(typeof e.retryAfter === 'number' ? { retryAfterS: e.retryAfter } : {}) };
    case ErrorCode.HTTPError:
      return { status: e.statusCode ?? 0 };
    case ErrorCode.RequestError:
      return { network: e.original?.message ?? e.message ?? 'network error' };
    default:
      // A 429 without a readable Retry-After reaches us as a plain error naming it.
      if (/retry-after/i.test(e.message ?? '')) return { status: 429 };
      return { network: e.message ?? String(err) };
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/**
 * The Slack Web API calls Kith makes, through the real WebClient with its own retrying off
 * (`retryConfig: {retries: 0}`) and rate-limited calls rejected (`rejectRateLimitedCalls`), so
 * the shared Redis limiter decides: each method takes a slot of its tier before it is sent, a 429
 * pauses that method's budget in every process for its Retry-After and the call is sent again
 * without spending an attempt, 5xx and network errors are retried, and anything else throws the
 * error table's KithError.
 */
export class SlackClient {
  private readonly web: WebClient;

  constructor(private readonly o: SlackClientOptions) {
    const slackApiUrl = o.baseUrl.endsWith('/') ? o.baseUrl : `${o.baseUrl}/`;
    this.web = new WebClient(o.token, { slackApiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, logLevel: LogLevel.ERROR, timeout: o.timeoutMs ?? 30_000 });
  }

  async call<T>(method: SlackMethod, args: Record<string, unknown>, what: string = method): Promise<T> {
    const limiter = this.o.limiter(method);
    let attempts = 0;
    let limited = 0;
    for (;;) {
      if (this.o.signal?.aborted) throw new TemporaryError(`Slack ${what}: stopped (shutting down)`, 'aborted');
      const release = await limiter.acquire(1);
      let failure;
      try {
        return (await this.web.apiCall(method, args)) as unknown as T;
      } catch (err) {
        failure = classifySlackError(what, answerOf(err));
        if (failure.kind === 'invalid_cursor') throw new SlackInvalidCursorError(`Slack ${what}: invalid_cursor`, { cause: err });
        if (failure.kind === 'error') {
          failure.error.cause = err;
          throw failure.error;
        }
      } finally {
        release();
      }
      if (failure.kind === 'rate_limited') {
        this.o.onRateLimited?.();
        const wait = failure.retryAfterMs ?? jitteredBackoff(this.o.backoffMs ?? 1000, limited);
        if (++limited > (this.o.maxRateLimited ?? 30)) throw new RateLimitedError(`Slack ${what}: still rate limited after ${limited - 1} waits`, wait, 'slack_rate_limited');
        limiter.pauseFor(wait);
        continue;
      }
      if (++attempts > (this.o.maxRetries ?? 5)) throw new TemporaryError(`Slack ${what}: ${failure.reason} after ${attempts} attempts`, 'slack_unavailable');
      await sleep(jitteredBackoff(this.o.backoffMs ?? 1000, attempts - 1), this.o.signal);
    }
  }
}
