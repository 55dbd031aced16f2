import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { type KithError, RateLimitedError, TemporaryError } from '../../errors.js';
// The sliding-window limiter is generic; it lives beside the first client that needed it.
import { type Limiter, RequestLimiter } from '../limits/request-limiter.js';
import { embeddingsHttpError, embeddingsNetworkError, MAX_RETRY_AFTER_MS } from './embeddings-errors.js';
import { vectorsInInputOrder } from './embeddings-response.js';
import { retryDelayMs } from './retry-delay.js';

export interface EmbeddingsClientOptions {
  /** API base, e.g. http://127.0.0.1:11434/v1 (the client posts to `{url}/embeddings`). */
  url: string;
  model: string;
  apiKey?: string;
  /** Inputs per request (default 64). */
  batchSize?: number;
  /** Sent as `dimensions` when set. */
  dimensions?: number;
  /** Requests per minute this process sends at most (a sliding window); unset = unlimited. */
  requestsPerMinute?: number;
  /** A limiter to spend instead (e.g. a SharedRequestLimiter in Redis for the whole deployment). */
  limiter?: Limiter;
  /** Attempts per request for 5xx and network failures (default 5); a 429 does not spend one. */
  maxAttempts?: number;
  /** 429 answers one request waits out before giving up with RateLimitedError (default 20). */
  maxRateLimitWaits?: number;
  /** Total time one request spends waiting out 429s before giving up (default 5 minutes, inside a sync step's job lock). */
  maxRateLimitWaitMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  timeoutMs?: number;
}

/**
 * Client of an OpenAI-compatible `POST /embeddings` endpoint (Ollama, llama.cpp, vLLM, OpenAI)
 * over undici. Inputs are sent in batches; vectors come back in input order. A 429 is waited
 * out for its Retry-After (bounded) without spending an attempt; 5xx and network failures are
 * retried with jittered exponential backoff up to `maxAttempts`; 400/401/404 fail at once with a
 * message naming the model, the key or the URL. The rate limit is this process's own unless a
 * shared limiter is given.
 */
export class EmbeddingsClient {
  private readonly pool: Pool;
  private readonly path: string;
  private readonly limiter: Limiter | undefined;
  readonly batchSize: number;
  /** HTTP requests sent, retries included (for tests and metrics). */
  requestCount = 0;

  constructor(private readonly opts: EmbeddingsClientOptions) {
    const url = new URL(opts.url);
    this.path = `${url.pathname.replace(/\/+$/, '')}/embeddings`;
    this.pool = new Pool(url.origin, { connections: 4 });
    this.batchSize = opts.batchSize ?? 64;
    this.limiter = opts.limiter ?? (opts.requestsPerMinute ? new RequestLimiter({ limit: opts.requestsPerMinute, windowMs: 60_000, service: 'embedding requests' }) : undefined);
  }

  get model(): string {
    return this.opts.model;
  }

  /** One vector per text, in the order given; sent `batchSize` texts a request. */
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += this.batchSize) out.push(...(await this.embedBatch(texts.slice(i, i + this.batchSize))));
    return out;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private async embedBatch(input: readonly string[]): Promise<Float32Array[]> {
    if (!input.length) return [];
    const maxAttempts = this.opts.maxAttempts ?? 5;
    const maxWaits = this.opts.maxRateLimitWaits ?? 20;
    let attempt = 0;
    let waits = 0;
    let waited = 0;
    const maxWaitMs = this.opts.maxRateLimitWaitMs ?? 300_000;
    for (;;) {
      try {
        return vectorsInInputOrder(await this.post(input), input.length, this.opts.url);
      } catch (err) {
        const e = err as KithError;
        if (e instanceof RateLimitedError) {
          const ms = Math.min(e.retryAfterMs, MAX_RETRY_AFTER_MS);
          if (++waits > maxWaits || waited + ms > maxWaitMs) throw e;
          waited += ms;
          await sleep(ms);
          continue;
        }
        if (!(e instanceof TemporaryError) || ++attempt >= maxAttempts) throw e;
        await sleep(retryDelayMs(attempt, this.opts.backoffBaseMs ?? 500, this.opts.backoffMaxMs ?? 30_000));
      }
    }
  }

  private async post(input: readonly string[]): Promise<unknown> {
    const body: Record<string, unknown> = { model: this.opts.model, input, encoding_format: 'float' };
    if (this.opts.dimensions) body.dimensions = this.opts.dimensions;
    const release = this.limiter ? await this.limiter.acquire() : () => undefined;
    try {
      this.requestCount++;
      let res;
      try {
        res = await this.pool.request({
          method: 'POST',
          path: this.path,
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}),
          },
          body: JSON.stringify(body),
          headersTimeout: this.opts.timeoutMs ?? 60_000,
          bodyTimeout: this.opts.timeoutMs ?? 60_000,
        });
      } catch (err) {
        throw embeddingsNetworkError(err, this.opts.url);
      }
      let text: string;
      try {
        text = await res.body.text();
      } catch (err) {
        throw embeddingsNetworkError(err, this.opts.url);
      }
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* a non-JSON body (a proxy's error page) is reported as text */
      }
      if (res.statusCode >= 400) {
        throw embeddingsHttpError(res.statusCode, parsed, { url: this.opts.url, model: this.opts.model, retryAfter: res.headers['retry-after'] });
      }
      return parsed;
    } finally {
      release();
    }
  }
}
