import { describe, expect, it } from 'vitest';
import { loadEmbeddingsConfig, isEmbeddingsConfigured } from '../../../../src/config/embeddings.config.js';
import { inGroups } from '../../../../src/search/vectors/in-groups.js';
import { EXACT_WITHIN_MAX, MAX_CANDIDATES, planNearest } from '../../../../src/search/vectors/nearest-plan.js';
import { vectorModelKey } from '../../../../src/search/vectors/vector-index.js';
import { textVector } from '../../../emulators/embeddings/text-vector.js';

describe('embeddings settings', () => {
  const base = { KITH_EMBEDDINGS_URL: 'http://127.0.0.1:11434/v1/', KITH_EMBEDDINGS_MODEL: 'nomic-embed-text' };

  it('reads the URL (without a trailing slash), model, and defaults', () => {
    expect(loadEmbeddingsConfig(base)).toEqual({ url: 'http://127.0.0.1:11434/v1', model: 'nomic-embed-text', apiKey: undefined, batchSize: 64, dimensions: undefined, requestsPerMinute: undefined });
    expect(loadEmbeddingsConfig({ ...base, KITH_EMBEDDINGS_KEY: 'k', KITH_EMBEDDINGS_BATCH: '16', KITH_EMBEDDINGS_DIMENSIONS: '256', KITH_EMBEDDINGS_RPM: '500' })).toMatchObject({
      apiKey: 'k',
      batchSize: 16,
      dimensions: 256,
      requestsPerMinute: 500,
    });
    expect(isEmbeddingsConfigured({})).toBe(false);
    expect(isEmbeddingsConfigured({ KITH_EMBEDDINGS_URL: ' ' })).toBe(false);
    expect(isEmbeddingsConfigured(base)).toBe(true);
  });

  it.each([
    [{ KITH_EMBEDDINGS_URL: 'http://127.0.0.1:8080/v1' }, /^KITH_EMBEDDINGS_MODEL: must be set/],
    [{ ...base, KITH_EMBEDDINGS_URL: 'ftp://x' }, /^KITH_EMBEDDINGS_URL: must be an http/],
    [{ ...base, KITH_EMBEDDINGS_BATCH: '0' }, /^KITH_EMBEDDINGS_BATCH: must be a whole number from 1/],
    [{ ...base, KITH_EMBEDDINGS_DIMENSIONS: 'many' }, /^KITH_EMBEDDINGS_DIMENSIONS: must be a whole number/],
    [{ ...base, KITH_EMBEDDINGS_RPM: '-1' }, /^KITH_EMBEDDINGS_RPM:/],
  ])('names the variable that is wrong (%o)', (env, message) => {
    expect(() => loadEmbeddingsConfig(env)).toThrow(message);
  });

  it('never shows the key in an error', () => {
    expect(() => loadEmbeddingsConfig({ ...base, KITH_EMBEDDINGS_BATCH: 'x', KITH_EMBEDDINGS_KEY: 'sk-secret' })).toThrow(/^((?!sk-secret).)*$/);
  });

  it('stores shortened vectors under a name of their own', () => {
    expect(vectorModelKey({ model: 'text-embedding-3-small' })).toBe('text-embedding-3-small');
    expect(vectorModelKey({ model: 'text-embedding-3-small', dimensions: 256 })).toBe('text-embedding-3-small@256');
  });
});

describe('nearest plan', () => {
  it('compares small or exact-engine sets exactly, and oversamples the index for large sets', () => {
    expect(planNearest(10, undefined, 1_000_000, false)).toEqual({ kind: 'knn', candidates: 10 });
    expect(planNearest(10, EXACT_WITHIN_MAX, 1_000_000, false)).toEqual({ kind: 'exact' });
    expect(planNearest(10, 500_000, 1_000_000, true)).toEqual({ kind: 'exact' });
    expect(planNearest(10, 500_000, 1_000_000, false)).toEqual({ kind: 'knn', candidates: 40 });
    expect(planNearest(10, 1_000_000, 1_000_000, false)).toEqual({ kind: 'exact' });
    // A set covering too little of the model would need more candidates than the index gives.
    expect(planNearest(10, 10_000, 1_000_000, false)).toEqual({ kind: 'exact' });
    expect(planNearest(10, 200, 1000, false, 100)).toEqual({ kind: 'knn', candidates: 100 });
    expect(MAX_CANDIDATES).toBeGreaterThanOrEqual(100);
  });
});

describe('inGroups', () => {
  it('streams sync and async input in groups of the given size', async () => {
    const got: number[][] = [];
    for await (const g of inGroups([1, 2, 3, 4, 5], 2)) got.push(g);
    expect(got).toEqual([[1, 2], [3, 4], [5]]);
    async function* gen() {
      yield 'a';
      yield 'b';
    }
    const all: string[][] = [];
    for await (const g of inGroups(gen(), 5)) all.push(g);
    expect(all).toEqual([['a', 'b']]);
  });
});

describe('emulator text vectors', () => {
  const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

  it('are deterministic, unit length, and nearer for texts sharing words', () => {
    const a = textVector('the grant proposal budget', 384);
    expect(textVector('the grant proposal budget', 384)).toEqual(a);
    expect(cos(a, a)).toBeCloseTo(1, 6);
    const near = cos(a, textVector('budget of the grants', 384));
    const far = cos(a, textVector('tomatoes in the garden', 384));
    expect(near).toBeGreaterThan(far);
    expect(textVector('', 16)).toHaveLength(16);
  });
});
