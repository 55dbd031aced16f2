import { z } from 'zod';
import { type Env, parseEnv, wholeNumber } from './parse-env.js';

const httpUrl = z
  .string()
  .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an http:// or https:// URL (the base of an OpenAI-compatible API, e.g. http://127.0.0.1:11434/v1)');

export const embeddingsSchema = z.object({
  KITH_EMBEDDINGS_URL: httpUrl,
  KITH_EMBEDDINGS_MODEL: z.string({ error: 'must be set when KITH_EMBEDDINGS_URL is set (the model name the server knows, e.g. nomic-embed-text)' }).min(1, 'must be set'),
  KITH_EMBEDDINGS_KEY: z.string().min(1).optional(),
  KITH_EMBEDDINGS_BATCH: wholeNumber(1, 2048).default(64),
  KITH_EMBEDDINGS_DIMENSIONS: wholeNumber(1, 16_000).optional(),
  KITH_EMBEDDINGS_RPM: wholeNumber(1, 1_000_000).optional(),
});

export interface EmbeddingsConfig {
  /** Base URL of the OpenAI-compatible API, without a trailing slash (`POST {url}/embeddings`). */
  url: string;
  model: string;
  /** Bearer token; never logged. */
  apiKey?: string;
  /** Inputs per request. */
  batchSize: number;
  /** Sent as `dimensions` (models that can shorten their vectors); unset = the model's own. */
  dimensions?: number;
  /** Requests per minute this process sends at most; unset = no limit of our own. */
  requestsPerMinute?: number;
}

/** Whether vector search is on at all (the URL is the switch). */
export function isEmbeddingsConfigured(env: Env = process.env): boolean {
  return Boolean(env.KITH_EMBEDDINGS_URL?.trim());
}

export function loadEmbeddingsConfig(env: Env = process.env): EmbeddingsConfig {
  const c = parseEnv(embeddingsSchema, env, ['KITH_EMBEDDINGS_KEY']);
  return {
    url: c.KITH_EMBEDDINGS_URL.replace(/\/+$/, ''),
    model: c.KITH_EMBEDDINGS_MODEL,
    apiKey: c.KITH_EMBEDDINGS_KEY,
    batchSize: c.KITH_EMBEDDINGS_BATCH,
    dimensions: c.KITH_EMBEDDINGS_DIMENSIONS,
    requestsPerMinute: c.KITH_EMBEDDINGS_RPM,
  };
}
