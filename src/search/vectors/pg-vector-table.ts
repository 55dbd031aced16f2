import type { Db, Queryable } from '../../db/db.js';
import { pgArray } from '../../db/sql-lists.js';
import { type KeyDistance, type VectorRow, type VectorTable, vectorTableName } from './vector-table.js';

/** pgvector's text form of a vector: `[0.1,0.2,…]`. */
export const pgVectorText = (v: Float32Array): string => `[${Array.from(v).join(',')}]`;

/** pgvector indexes vectors of at most this many dimensions (HNSW over `vector`). */
const HNSW_MAX_DIMS = 2000;
const LOCK_KEY = 7_405_319; // advisory lock for creating a model's table

/**
 * A pgvector table per model (key_id → vector(dims)) with an HNSW index on cosine distance.
 * A query over the whole model walks the index (approximate, `hnsw.ef_search` raised to the
 * neighbours wanted); a query restricted to keys computes their distances exactly through the
 * primary key. Rows go away with their key (ON DELETE CASCADE).
 */
export const pgVectorTable: VectorTable = {
  exactKnn: false,
  maxK: 1000,

  async create(db: Db, modelId: number, dims: number): Promise<void> {
    const t = vectorTableName(modelId);
    await db.tx(async (q) => {
      // CREATE … IF NOT EXISTS is not safe against a concurrent twin on PostgreSQL: lock first.
      await q.run('SELECT pg_advisory_xact_lock(?)', [LOCK_KEY]);
      await q.exec(`CREATE TABLE IF NOT EXISTS ${t} (key_id BIGINT PRIMARY KEY REFERENCES search_vector_keys(id) ON DELETE CASCADE, embedding vector(${dims}) NOT NULL)`);
      if (dims <= HNSW_MAX_DIMS) await q.exec(`CREATE INDEX IF NOT EXISTS ${t}_hnsw ON ${t} USING hnsw (embedding vector_cosine_ops)`);
    });
  },

  async insert(q: Queryable, modelId: number, rows: readonly VectorRow[]): Promise<void> {
    if (!rows.length) return;
    await q.run(
      `INSERT INTO ${vectorTableName(modelId)} (key_id, embedding)
       SELECT k, CAST(v AS vector) FROM unnest(CAST(? AS bigint[]), CAST(? AS text[])) AS u(k, v)
       ON CONFLICT (key_id) DO UPDATE SET embedding = EXCLUDED.embedding`,
      [pgArray(rows.map((r) => r.keyId)), pgArray(rows.map((r) => pgVectorText(r.vector)))],
    );
  },

  async delete(q: Queryable, modelId: number, keyIds: readonly number[]): Promise<void> {
    if (keyIds.length) await q.run(`DELETE FROM ${vectorTableName(modelId)} WHERE key_id = ANY(CAST(? AS bigint[]))`, [pgArray(keyIds)]);
  },

  async drop(q: Queryable, modelId: number): Promise<void> {
    await q.exec(`DROP TABLE IF EXISTS ${vectorTableName(modelId)}`);
  },

  async nearest(db: Db, modelId: number, vector: Float32Array, limit: number, keyIds?: readonly number[]): Promise<KeyDistance[]> {
    const t = vectorTableName(modelId);
    const v = pgVectorText(vector);
    const rows = keyIds
      ? await db.all<{ key_id: number; distance: number }>(
          `SELECT key_id, embedding <=> CAST(? AS vector) AS distance FROM ${t} WHERE key_id = ANY(CAST(? AS bigint[])) ORDER BY distance LIMIT ?`,
          [v, pgArray(keyIds), limit],
        )
      : await db.tx(async (q) => {
          await q.exec(`SET LOCAL hnsw.ef_search = ${Math.max(40, Math.min(1000, Math.ceil(limit)))}`);
          return q.all<{ key_id: number; distance: number }>(`SELECT key_id, embedding <=> CAST(? AS vector) AS distance FROM ${t} ORDER BY embedding <=> CAST(? AS vector) LIMIT ?`, [v, v, limit]);
        });
    return rows.map((r) => ({ keyId: Number(r.key_id), distance: Number(r.distance) }));
  },
};
