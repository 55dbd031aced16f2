import { describe, expect, it } from 'vitest';
import { AuthError, FatalError, InvalidInputError, NotFoundError, RateLimitedError, TemporaryError } from '../../../../src/errors.js';
import { embeddingsErrorMessage, embeddingsHttpError, embeddingsNetworkError, MAX_RETRY_AFTER_MS, parseRetryAfter } from '../../../../src/systems/embeddings/embeddings-errors.js';
import { vectorsInInputOrder } from '../../../../src/systems/embeddings/embeddings-response.js';
import { retryDelayMs } from '../../../../src/systems/embeddings/retry-delay.js';

const ctx = { url: 'http://127.0.0.1:11434/v1', model: 'nomic-embed-text' };

describe('embeddings error table', () => {
  it.each([
    [429, RateLimitedError, /rate limited/],
    [401, AuthError, /KITH_EMBEDDINGS_KEY/],
    [403, AuthError, /KITH_EMBEDDINGS_KEY/],
    [500, TemporaryError, /HTTP 500/],
    [502, TemporaryError, /HTTP 502/],
    [503, TemporaryError, /HTTP 503/],
    [408, TemporaryError, /HTTP 408/],
    [400, InvalidInputError, /model 'nomic-embed-text'.*KITH_EMBEDDINGS_MODEL/],
    [413, InvalidInputError, /KITH_EMBEDDINGS_BATCH/],
    [418, FatalError, /HTTP 418/],
  ])('HTTP %i → %o', (status, type, message) => {
    const err = embeddingsHttpError(status, { error: { message: 'boom', type: 'x', code: null } }, ctx);
    expect(err).toBeInstanceOf(type);
    expect(err.message).toMatch(message);
    expect(err.message).toContain(ctx.url);
  });

  it('tells a missing model (OpenAI model_not_found, Ollama "model … not found") from a wrong URL', () => {
    const openai = embeddingsHttpError(404, { error: { message: "The model 'x' does not exist", type: 'invalid_request_error', code: 'model_not_found' } }, ctx);
    expect(openai).toBeInstanceOf(NotFoundError);
    expect(openai.code).toBe('embeddings_model_not_found');
    expect(openai.message).toMatch(/model 'nomic-embed-text' is not served.*KITH_EMBEDDINGS_MODEL/);
    const ollama = embeddingsHttpError(404, { error: 'model "nomic-embed-text" not found, try pulling it first' }, ctx);
    expect(ollama.code).toBe('embeddings_model_not_found');
    const route = embeddingsHttpError(404, '404 page not found', ctx);
    expect(route.code).toBe('embeddings_not_found');
    expect(route.message).toMatch(/KITH_EMBEDDINGS_URL/);
  });

  it('reads the error message of OpenAI, Ollama and plain-text bodies', () => {
    expect(embeddingsErrorMessage({ error: { message: 'a' } })).toBe('a');
    expect(embeddingsErrorMessage({ error: 'b' })).toBe('b');
    expect(embeddingsErrorMessage('  c  ')).toBe('c');
    expect(embeddingsErrorMessage(undefined)).toBe('no error message');
  });

  it('429 takes Retry-After in seconds or as an HTTP date, bounded, with a default when absent', () => {
    expect((embeddingsHttpError(429, {}, { ...ctx, retryAfter: '3' }) as RateLimitedError).retryAfterMs).toBe(3000);
    expect((embeddingsHttpError(429, {}, { ...ctx, defaultRetryAfterMs: 1234 }) as RateLimitedError).retryAfterMs).toBe(1234);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('86400')).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('a request without an answer is temporary and keeps its code', () => {
    const err = embeddingsNetworkError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), ctx.url);
    expect(err).toBeInstanceOf(TemporaryError);
    expect(err.code).toBe('ECONNREFUSED');
  });
});

describe('embeddings response', () => {
  const body = (data: { index: number; embedding: number[] }[]) => ({ object: 'list', data: data.map((d) => ({ object: 'embedding', ...d })), model: 'm', usage: { prompt_tokens: 1, total_tokens: 1 } });

  it('orders vectors by index whatever the order of data', () => {
    const v = vectorsInInputOrder(body([{ index: 1, embedding: [0, 1] }, { index: 0, embedding: [1, 0] }]), 2, 'u');
    expect(v.map((x) => Array.from(x))).toEqual([
      [1, 0],
      [0, 1],
    ]);
  });

  it.each([
    ['a missing index', body([{ index: 0, embedding: [1] }]), 2, /no vector for input 1/],
    ['a repeated index', body([{ index: 0, embedding: [1] }, { index: 0, embedding: [1] }]), 2, /index 0 twice/],
    ['an index out of range', body([{ index: 5, embedding: [1] }]), 1, /out of range/],
    ['mixed lengths', body([{ index: 0, embedding: [1] }, { index: 1, embedding: [1, 2] }]), 2, /mixes vector lengths/],
    ['another shape', { result: [] }, 1, /unexpected response at data/],
  ])('refuses %s', (_what, b, inputs, message) => {
    expect(() => vectorsInInputOrder(b, inputs, 'u')).toThrow(message);
  });
});

describe('retry delay', () => {
  it('grows exponentially to a cap, jittered within the upper half', () => {
    expect(retryDelayMs(1, 100, 10_000, () => 0)).toBe(50);
    expect(retryDelayMs(1, 100, 10_000, () => 1)).toBe(100);
    expect(retryDelayMs(4, 100, 10_000, () => 1)).toBe(800);
    expect(retryDelayMs(20, 100, 10_000, () => 1)).toBe(10_000);
    expect(retryDelayMs(20, 100, 10_000, () => 0)).toBe(5000);
  });
});
