import { AuthError, FatalError, InvalidInputError, type KithError, NotFoundError, RateLimitedError, TemporaryError } from '../../errors.js';

/**
 * Error table of an OpenAI-compatible `/embeddings` endpoint: HTTP status + body → a typed
 * Kith error. OpenAI, vLLM and llama.cpp answer `{error: {message, type, code}}`; Ollama
 * answers `{error: "message"}`. Messages name what to fix: the URL, the key or the model.
 */
export interface EmbeddingsErrorContext {
  url: string;
  model: string;
  /** Retry-After header of the answer, when it had one. */
  retryAfter?: string | string[];
  /** Pause when a 429 gives no Retry-After. */
  defaultRetryAfterMs?: number;
}

/** Longest Retry-After we take at its word: a server asking for more is waited on for this long. */
export const MAX_RETRY_AFTER_MS = 120_000;

export function embeddingsErrorMessage(body: unknown): string {
  if (body && typeof body === 'object') {
    const e = (body as { error?: unknown; message?: unknown }).error ?? (body as { message?: unknown }).message;
    if (typeof e === 'string') return e;
    if (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') return (e as { message: string }).message;
  }
  if (typeof body === 'string' && body.trim()) return body.trim().slice(0, 300);
  return 'no error message';
}

/** Retry-After as seconds or an HTTP date → milliseconds, bounded by MAX_RETRY_AFTER_MS; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs = Date.now()): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return undefined;
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(v)) ms = Math.ceil(Number(v) * 1000);
  else {
    const at = Date.parse(v);
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - nowMs);
  }
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

export function embeddingsHttpError(status: number, body: unknown, ctx: EmbeddingsErrorContext): KithError {
  const reason = embeddingsErrorMessage(body);
  const at = `embeddings endpoint ${ctx.url}`;
  if (status === 429) {
    return new RateLimitedError(`${at}: HTTP 429 (rate limited): ${reason}`, parseRetryAfter(ctx.retryAfter) ?? ctx.defaultRetryAfterMs ?? 1000, 'embeddings_rate_limited');
  }
  if (status === 401 || status === 403) {
    return new AuthError(`${at}: HTTP ${status}: the server refused the key (check KITH_EMBEDDINGS_KEY): ${reason}`, `embeddings_${status}`);
  }
  if (status === 404) {
    const modelMissing = /model/i.test(reason) || (body as { error?: { code?: unknown } } | undefined)?.error?.code === 'model_not_found';
    return modelMissing
      ? new NotFoundError(`${at}: HTTP 404: model '${ctx.model}' is not served there (check KITH_EMBEDDINGS_MODEL; with Ollama, pull it first): ${reason}`, 'embeddings_model_not_found')
      : new NotFoundError(`${at}: HTTP 404: no /embeddings route (check KITH_EMBEDDINGS_URL: it is the API base, e.g. http://127.0.0.1:11434/v1): ${reason}`, 'embeddings_not_found');
  }
  if (status === 408 || status >= 500) return new TemporaryError(`${at}: HTTP ${status}: ${reason}`, `embeddings_${status}`);
  if (status === 400 || status === 413 || status === 422) {
    return new InvalidInputError(`${at}: HTTP ${status}: the request for model '${ctx.model}' was refused (check KITH_EMBEDDINGS_MODEL, KITH_EMBEDDINGS_DIMENSIONS and KITH_EMBEDDINGS_BATCH): ${reason}`, `embeddings_${status}`);
  }
  return new FatalError(`${at}: HTTP ${status}: ${reason}`, `embeddings_${status}`);
}

/** A request that never got an HTTP answer (refused, reset, timed out): worth retrying. */
export function embeddingsNetworkError(err: unknown, url: string): KithError {
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code ?? 'embeddings_network';
  return new TemporaryError(`embeddings endpoint ${url}: ${e?.message ?? String(err)} (${code})`, code, { cause: err });
}
