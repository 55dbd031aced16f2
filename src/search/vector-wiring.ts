import type { Db } from '../db/db.js';
import { openVectorIndex as openStoredVectors, pruneVectors, vectorSearchStatus } from './vectors/vector-index.js';
import { VECTOR_OFF, type VectorIndex } from './vector-index.port.js';

export interface VectorSetup {
  vectors?: VectorIndex;
  /** Why vector search is off (shown by `kith search`, /health and `kith status`); unset when on. */
  off?: string;
  /** Closes the embedding client's connections (nothing to do when off). */
  close(): Promise<void>;
}

const quiet = { info: () => undefined, warn: () => undefined };

/** Whether vectors are on, and if not, why in one line (no endpoint: the short standard line). */
async function status(db: Db, env: NodeJS.ProcessEnv): Promise<{ on: true; model: string } | { on: false; reason: string }> {
  if (!env.KITH_EMBEDDINGS_URL?.trim()) return { on: false, reason: VECTOR_OFF };
  return vectorSearchStatus(db, env);
}

/**
 * The configured VectorIndex (the embedding endpoint of KITH_EMBEDDINGS_URL and the vectors in
 * sqlite-vec or pgvector), or why there is none: no endpoint configured, or the database's
 * vector extension missing. A malformed setting throws ConfigError naming the variable.
 */
export async function openVectorIndex(db: Db, env: NodeJS.ProcessEnv = process.env): Promise<VectorSetup> {
  const s = await status(db, env);
  if (!s.on) return { off: s.reason, close: async () => undefined };
  const vectors = await openStoredVectors(db, env, quiet);
  if (!vectors) return { off: 'vector search off', close: async () => undefined };
  return { vectors, close: () => vectors.close() };
}

/** Run `fn` with the configured vectors (if any), closing the embedding client afterwards. */
export async function withVectors<T>(db: Db, fn: (v: VectorSetup) => Promise<T>, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const v = await openVectorIndex(db, env);
  try {
    return await fn(v);
  } finally {
    await v.close();
  }
}

/** The one-line vector search state for /health and `kith status`. */
export async function vectorState(db: Db, env: NodeJS.ProcessEnv = process.env): Promise<{ vector: 'on' | 'off'; message: string; model?: string }> {
  const s = await status(db, env);
  return s.on ? { vector: 'on', model: s.model, message: `vector search on: model ${s.model}, embeddings from ${env.KITH_EMBEDDINGS_URL!.trim()}` } : { vector: 'off', message: s.reason };
}

/** Drop the vectors of `model` no chunk uses any more (after a rebuild). */
export function pruneUnusedVectors(db: Db, model: string): Promise<number> {
  return pruneVectors(db, model, { sql: 'SELECT DISTINCT content_hash AS hash FROM search_chunks' });
}
