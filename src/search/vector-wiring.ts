import type { Db } from '../db/db.js';
import { VECTOR_OFF, type VectorIndex } from './vector-index.port.js';

export interface VectorSetup {
  vectors?: VectorIndex;
  /** Why vector search is off (shown by `kith search`, /health and `kith status`); unset when on. */
  off?: string;
}

/**
 * The configured VectorIndex: none without KITH_EMBEDDINGS_URL. The embedding client and the
 * vector store plug in here; until they are part of the build, a set URL says so.
 */
export async function openVectorIndex(_db: Db, env: NodeJS.ProcessEnv = process.env): Promise<VectorSetup> {
  if (!env.KITH_EMBEDDINGS_URL?.trim()) return { off: VECTOR_OFF };
  return { off: 'vector search off: KITH_EMBEDDINGS_URL is set, but this build has no embedding store' };
}

/** The one-line vector search state for /health and `kith status`. */
export function vectorState(env: NodeJS.ProcessEnv = process.env): { vector: 'on' | 'off'; message: string } {
  return env.KITH_EMBEDDINGS_URL?.trim()
    ? { vector: 'on', message: `vector search: embeddings from ${env.KITH_EMBEDDINGS_URL.trim()} (${env.KITH_EMBEDDINGS_MODEL ?? 'default model'})` }
    : { vector: 'off', message: VECTOR_OFF };
}
