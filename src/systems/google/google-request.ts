import { RateLimitedError, TemporaryError } from '../../errors.js';
import type { Limiter } from '../limits/request-limiter.js';
import { classifyGoogleError, type GoogleAnswer, type GoogleApi, refreshFailed } from './google-errors.js';

export interface GoogleCallOptions {
  api: GoogleApi;
  limiter: Limiter;
  /** Attempts after a 5xx or network error (rate limiting spends none). */
  maxRetries: number;
  /** First back-off (doubled per attempt, with jitter) when no Retry-After was given. */
  backoffMs: number;
  /** Rate-limited answers in a row after which the call gives up (RateLimitedError: the job is delayed). */
  maxRateLimited?: number;
  signal?: AbortSignal;
  /** Told of every rate-limited answer (counted by the reader and the benchmark). */
  onRateLimited?: () => void;
}

/** Full jitter: a random wait up to `base · 2^n`, at most 30 s. */
export function jitteredBackoff(baseMs: number, n: number, random = Math.random): number {
  return Math.ceil(random() * Math.min(30_000, baseMs * 2 ** n)) + 1;
}

/** The status, body and Retry-After of a failed SDK call (a GaxiosError), or its network code. */
export function answerOf(err: unknown): GoogleAnswer {
  const e = err as { response?: { status?: number; data?: unknown; headers?: unknown }; code?: unknown; status?: number };
  const r = e.response;
  if (!r) return { networkCode: typeof e.code === 'string' ? e.code : 'network error' };
  const h = r.headers as { get?: (n: string) => string | null } & Record<string, string | undefined>;
  const retryAfter = typeof h?.get === 'function' ? h.get('retry-after') : (h?.['retry-after'] ?? null);
  return { status: r.status, body: jsonBody(r.data), retryAfter };
}

/** A call made with `responseType: 'text'` (an export, a download) gets its error body as text: read it as the JSON it is. */
function jsonBody(data: unknown): unknown {
  if (typeof data !== 'string' || !data.trimStart().startsWith('{')) return data;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return data;
  }
}

/** A token endpoint's refusal (`{error: 'invalid_grant'}` …) rather than the API's answer. */
function isTokenRefusal(err: unknown): boolean {
  const data = (err as { response?: { data?: unknown } }).response?.data as { error?: unknown } | undefined;
  return typeof data?.error === 'string';
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/**
 * One Google API call under the shared quota: `cost` units are taken from the limiter before it
 * is sent and held until a window after its answer. A rate-limited answer pauses every process's
 * budget for its Retry-After (or a jittered back-off) and sends again without spending an
 * attempt; a 5xx or network error is retried `maxRetries` times; anything else throws the
 * error table's KithError.
 */
export async function callGoogle<T>(o: GoogleCallOptions, what: string, cost: number, fn: () => Promise<T>): Promise<T> {
  let attempts = 0;
  let limited = 0;
  for (;;) {
    if (o.signal?.aborted) throw new TemporaryError(`Google ${what}: stopped (shutting down)`, 'aborted');
    const release = await o.limiter.acquire(cost);
    let failure;
    try {
      return await fn();
    } catch (err) {
      if (isTokenRefusal(err)) throw refreshFailed(what, err);
      failure = classifyGoogleError(o.api, what, answerOf(err));
      if (failure.kind === 'error') {
        failure.error.cause = err;
        throw failure.error;
      }
    } finally {
      release();
    }
    if (failure.kind === 'rate_limited') {
      o.onRateLimited?.();
      const wait = failure.retryAfterMs ?? jitteredBackoff(o.backoffMs, limited);
      if (++limited > (o.maxRateLimited ?? 30)) throw new RateLimitedError(`Google ${what}: still rate limited (${failure.reason}) after ${limited - 1} waits`, wait, 'google_rate_limited');
      o.limiter.pauseFor(wait);
      continue;
    }
    if (++attempts > o.maxRetries) throw new TemporaryError(`Google ${what}: ${failure.reason} (HTTP ${failure.status}) after ${attempts} attempts`, 'google_unavailable');
    await sleep(jitteredBackoff(o.backoffMs, attempts - 1), o.signal);
  }
}
