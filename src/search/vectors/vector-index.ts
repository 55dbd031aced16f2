import { type EmbeddingsConfig, isEmbeddingsConfigured, loadEmbeddingsConfig } from '../../config/embeddings.config.js';
import type { Env } from '../../config/parse-env.js';
import type { Db } from '../../db/db.js';
import { EmbeddingsClient } from '../../systems/embeddings/embeddings-client.js';
import { inGroups } from './in-groups.js';
import { enableVectorExtension } from './vector-extension.js';
import { type LiveHashes, VectorStore } from './vector-store.js';
import type { VectorIndex } from '../vector-index.port.js';

export type { VectorIndex };

/** A vector index that holds an HTTP connection pool: close it when done. */
export interface OpenVectorIndex extends VectorIndex {
  close(): Promise<void>;
}

/** What embeds texts: the HTTP client, or anything with the same two members. */
export interface Embedder {
  readonly batchSize: number;
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

type Log = { info(msg: string): void; warn(msg: string): void };

/**
 * The name a model's vectors are stored under: the model, plus the dimensions when
 * KITH_EMBEDDINGS_DIMENSIONS shortens them (other dimensions are other vectors).
 */
export function vectorModelKey(c: Pick<EmbeddingsConfig, 'model' | 'dimensions'>): string {
  return c.dimensions ? `${c.model}@${c.dimensions}` : c.model;
}

/** Query vectors kept per index, so a query asked again is not embedded again. */
const QUERY_CACHE = 256;

/** A vector index over the database's vectors of `model`, embedding through `embedder`. */
export function createVectorIndex(db: Db, embedder: Embedder, model: string): VectorIndex {
  const store = new VectorStore(db);
  const recent = new Map<string, Float32Array>();
  return {
    model,
    async embedMissing(items) {
      let embedded = 0;
      // Groups of a few requests: one existence check per group, memory bounded whatever the input's size.
      for await (const group of inGroups(items, Math.max(256, embedder.batchSize))) {
        const unique = [...new Map(group.map((i) => [i.hash, i])).values()];
        const have = await store.existing(model, unique.map((i) => i.hash));
        const todo = unique.filter((i) => !have.has(i.hash));
        if (!todo.length) continue;
        const vectors = await embedder.embed(todo.map((i) => i.text));
        await store.put(model, todo.map((i, n) => ({ hash: i.hash, vector: vectors[n]! })));
        embedded += todo.length;
      }
      return embedded;
    },
    async nearest(query, k, within) {
      if (k < 1 || (within && !within.length) || !(await store.model(model))) return [];
      let vector = recent.get(query);
      if (vector) recent.delete(query);
      else [vector] = await embedder.embed([query]);
      // Most recently used last: a query asked again (the next page, a person filter) costs no request.
      recent.set(query, vector!);
      if (recent.size > QUERY_CACHE) recent.delete(recent.keys().next().value!);
      return store.nearest(model, vector!, k, within);
    },
  };
}

/** Whether vector search is on for this database and environment, and if not, why (for /health, `kith status`, `kith search`). */
export async function vectorSearchStatus(db: Db, env: Env = process.env): Promise<{ on: true; model: string } | { on: false; reason: string }> {
  if (!isEmbeddingsConfigured(env)) return { on: false, reason: 'no embedding endpoint configured (KITH_EMBEDDINGS_URL is not set): vector search off, BM25 only' };
  const config = loadEmbeddingsConfig(env);
  const ext = await enableVectorExtension(db);
  return ext.ok ? { on: true, model: vectorModelKey(config) } : { on: false, reason: ext.reason };
}

/**
 * The configured vector index, or undefined — with one log line saying why — when no embedding
 * endpoint is configured or the engine's vector extension is missing (search then runs on BM25
 * alone). A malformed setting throws ConfigError naming the variable.
 */
export async function openVectorIndex(db: Db, env: Env, log: Log): Promise<OpenVectorIndex | undefined> {
  const status = await vectorSearchStatus(db, env);
  if (!status.on) {
    (isEmbeddingsConfigured(env) ? log.warn : log.info).call(log, status.reason);
    return undefined;
  }
  const c = loadEmbeddingsConfig(env);
  const client = new EmbeddingsClient({ url: c.url, model: c.model, apiKey: c.apiKey, batchSize: c.batchSize, dimensions: c.dimensions, requestsPerMinute: c.requestsPerMinute });
  return { ...createVectorIndex(db, client, status.model), close: () => client.close() };
}

/**
 * Delete the vectors of `model` whose hash no chunk uses any more. `liveHashes` is every hash
 * still in use: listed (read once), or better for large indexes a query whose `hash` column
 * yields them, e.g. `{sql: 'SELECT content_hash AS hash FROM search_chunks'}`. Returns how many
 * were deleted; 0 when the engine's extension is missing (then no vectors were ever stored).
 */
export async function pruneVectors(db: Db, model: string, liveHashes: LiveHashes): Promise<number> {
  if (!(await enableVectorExtension(db)).ok) return 0;
  return new VectorStore(db).prune(model, liveHashes);
}

/** Forget every stored model but `keep` (e.g. after KITH_EMBEDDINGS_MODEL changed). Returns the models dropped. */
export async function dropOtherVectorModels(db: Db, keep: readonly string[]): Promise<string[]> {
  if (!(await enableVectorExtension(db)).ok) return [];
  const store = new VectorStore(db);
  const models = (await db.all<{ model: string }>('SELECT model FROM search_vector_models')).map((r) => r.model).filter((m) => !keep.includes(m));
  for (const m of models) await store.dropModel(m);
  return models;
}
