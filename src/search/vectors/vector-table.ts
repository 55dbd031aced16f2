import type { Db, Queryable } from '../../db/db.js';

/** One model's vectors, keyed by the id of their row in `search_vector_keys`. */
export interface VectorRow {
  keyId: number;
  vector: Float32Array;
}

export interface KeyDistance {
  keyId: number;
  /** Cosine distance (0 = same direction, 2 = opposite). */
  distance: number;
}

/**
 * What differs between engines: the table holding one model's vectors (`search_vec_<modelId>`)
 * and how it answers nearest-neighbour queries. Everything else (which hashes have a vector,
 * models, pruning) is plain SQL in vector-store.ts.
 */
export interface VectorTable {
  /** Whether a query over the whole table is exact (sqlite-vec scans every vector; pgvector's HNSW is approximate). */
  readonly exactKnn: boolean;
  /** Largest neighbour count one query may ask for. */
  readonly maxK: number;
  create(db: Db, modelId: number, dims: number): Promise<void>;
  /** Store vectors (replacing any of the same key). */
  insert(q: Queryable, modelId: number, rows: readonly VectorRow[]): Promise<void>;
  delete(q: Queryable, modelId: number, keyIds: readonly number[]): Promise<void>;
  drop(q: Queryable, modelId: number): Promise<void>;
  /** The `limit` nearest vectors, best first; `keyIds` restricts the query to those keys (exactly). */
  nearest(db: Db, modelId: number, vector: Float32Array, limit: number, keyIds?: readonly number[]): Promise<KeyDistance[]>;
}

export const vectorTableName = (modelId: number): string => {
  if (!Number.isSafeInteger(modelId) || modelId < 1) throw new RangeError(`not a model id: ${modelId}`);
  return `search_vec_${modelId}`;
};
