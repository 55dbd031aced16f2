import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, InvalidInputError, NotFoundError, RateLimitedError, TemporaryError } from '../../../../src/errors.js';
import { EmbeddingsClient, type EmbeddingsClientOptions } from '../../../../src/systems/embeddings/embeddings-client.js';
import { RequestLimiter } from '../../../../src/systems/limits/request-limiter.js';
import { type EmbeddingsEmulator, startEmbeddingsEmulator } from '../../../emulators/embeddings/embeddings-emulator.js';
import { textVector } from '../../../emulators/embeddings/text-vector.js';

const MODEL = 'kith-test-embed';

describe('embeddings client against the loopback OpenAI-compatible emulator', () => {
  let emu: EmbeddingsEmulator;
  const clients: EmbeddingsClient[] = [];
  const client = (o: Partial<EmbeddingsClientOptions> = {}) => {
    const c = new EmbeddingsClient({ url: emu.url, model: MODEL, backoffBaseMs: 5, backoffMaxMs: 20, ...o });
    clients.push(c);
    return c;
  };
  beforeEach(async () => {
    emu = await startEmbeddingsEmulator({ dims: 32 });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await emu.close();
  });

  it('sends inputs in batches and returns one vector per text in input order, even when the server answers out of order', async () => {
    emu.answerInReverse();
    const texts = Array.from({ length: 10 }, (_, i) => `note number ${i} about topic ${i % 3}`);
    const vectors = await client({ batchSize: 4 }).embed(texts);
    expect(emu.stats.batchSizes).toEqual([4, 4, 2]);
    expect(emu.stats.texts).toEqual(texts);
    expect(vectors).toHaveLength(10);
    vectors.forEach((v, i) => expect(Array.from(v)).toEqual(Array.from(Float32Array.from(textVector(texts[i]!, 32)))));
  });

  it('sends the model, float encoding and the configured dimensions', async () => {
    const [v] = await client({ dimensions: 8 }).embed(['grant proposal']);
    expect(v).toHaveLength(8);
  });

  it('waits out a 429 for its Retry-After without spending an attempt', async () => {
    emu.fault({ status: 429, headers: { 'retry-after': '0' }, body: { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }, times: 3 });
    // One attempt only: were a 429 to spend it, the call would fail.
    const c = client({ maxAttempts: 1 });
    const vectors = await c.embed(['a', 'b']);
    expect(vectors).toHaveLength(2);
    expect(emu.stats.requests).toBe(4);
    expect(c.requestCount).toBe(4);
  });

  it('gives up with RateLimitedError after the bounded number of 429 waits', async () => {
    emu.fault({ status: 429, headers: { 'retry-after': '0' }, times: 10 });
    const err = await client({ maxRateLimitWaits: 2 }).embed(['a']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(emu.stats.requests).toBe(3);
  });

  it('gives up at once on a Retry-After longer than the time it may wait, handing the pause to its caller', async () => {
    emu.fault({ status: 429, headers: { 'retry-after': '60' } });
    const err = await client({ maxRateLimitWaitMs: 1000 }).embed(['a']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBe(60_000);
    expect(emu.stats.requests).toBe(1);
  });

  it('retries 5xx and a reset connection with backoff, then succeeds', async () => {
    emu.fault({ status: 503, times: 2 });
    emu.fault({ reset: true, times: 1 });
    const vectors = await client({ maxAttempts: 5 }).embed(['hello']);
    expect(vectors).toHaveLength(1);
    expect(emu.stats.requests).toBe(4);
  });

  it('stops after the bounded attempts on persistent 5xx', async () => {
    emu.fault({ status: 500, times: 10 });
    const err = await client({ maxAttempts: 3 }).embed(['hello']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemporaryError);
    expect(emu.stats.requests).toBe(3);
  });

  it('fails at once on an unknown model, naming the model and the variable', async () => {
    const err = await client({ model: 'no-such-model' }).embed(['x']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toMatch(/model 'no-such-model'.*KITH_EMBEDDINGS_MODEL/);
    expect(emu.stats.requests).toBe(1);
  });

  it('fails at once on a refused key, naming KITH_EMBEDDINGS_KEY and never the key', async () => {
    const locked = await startEmbeddingsEmulator({ apiKey: 'right-key' });
    try {
      const c = new EmbeddingsClient({ url: locked.url, model: MODEL, apiKey: 'wrong-key-123' });
      clients.push(c);
      const err = await c.embed(['x']).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthError);
      expect((err as Error).message).toMatch(/KITH_EMBEDDINGS_KEY/);
      expect((err as Error).message).not.toContain('wrong-key-123');
      expect(locked.stats.requests).toBe(1);
      const ok = new EmbeddingsClient({ url: locked.url, model: MODEL, apiKey: 'right-key' });
      clients.push(ok);
      expect(await ok.embed(['x'])).toHaveLength(1);
    } finally {
      await locked.close();
    }
  });

  it('fails at once on a wrong base URL, naming KITH_EMBEDDINGS_URL', async () => {
    const err = await client({ url: emu.url.replace(/\/v1$/, '/nope') }).embed(['x']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toMatch(/KITH_EMBEDDINGS_URL/);
  });

  it('spends the limiter it is given: a full window holds requests back until a slot frees', async () => {
    const limiter = new RequestLimiter({ limit: 1, windowMs: 1500 });
    const c = client({ limiter, batchSize: 1 });
    await c.embed(['one']);
    expect(limiter.used).toBe(1);
    const second = c.embed(['two']);
    // The window holds the first request's slot: the second is not sent yet.
    await new Promise((r) => setImmediate(r));
    expect(emu.stats.requests).toBe(1);
    expect(await second).toHaveLength(1);
    expect(emu.stats.requests).toBe(2);
  });

  it('reports a refused request (400) as invalid input without retrying', async () => {
    const err = await client({ dimensions: 999 }).embed(['x']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(/dimensions/);
    expect(emu.stats.requests).toBe(1);
  });
});
