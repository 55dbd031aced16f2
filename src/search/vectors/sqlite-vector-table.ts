import type { Db, Queryable } from '../../db/db.js';
import { type KeyDistance, type VectorRow, type VectorTable, vectorTableName } from './vector-table.js';

const blob = (v: Float32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/**
 * A sqlite-vec `vec0` table per model (rowid = key id, cosine distance). Its KNN scans every
 * vector of the table, so it is exact, and a `rowid IN (…)` constraint restricts that scan to
 * the keys given. sqlite-vec wants rowids as integers, hence BigInt.
 */
export const sqliteVectorTable: VectorTable = {
  exactKnn: true,
  maxK: 4096,

  async create(db: Db, modelId: number, dims: number): Promise<void> {
    // In a transaction of its own: a bare exec would join whichever transaction this process has open.
    await db.tx((q) => q.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS ${vectorTableName(modelId)} USING vec0(embedding float[${dims}] distance_metric=cosine)`));
  },

  async insert(q: Queryable, modelId: number, rows: readonly VectorRow[]): Promise<void> {
    const t = vectorTableName(modelId);
    // vec0 has no upsert: a key written before is replaced.
    await q.runMany(`DELETE FROM ${t} WHERE rowid = ?`, rows.map((r) => [BigInt(r.keyId)]));
    await q.runMany(`INSERT INTO ${t} (rowid, embedding) VALUES (?, ?)`, rows.map((r) => [BigInt(r.keyId), blob(r.vector)]));
  },

  async delete(q: Queryable, modelId: number, keyIds: readonly number[]): Promise<void> {
    if (keyIds.length) await q.run(`DELETE FROM ${vectorTableName(modelId)} WHERE rowid IN (SELECT value FROM json_each(?))`, [JSON.stringify(keyIds)]);
  },

  async drop(q: Queryable, modelId: number): Promise<void> {
    await q.exec(`DROP TABLE IF EXISTS ${vectorTableName(modelId)}`);
  },

  async nearest(db: Db, modelId: number, vector: Float32Array, limit: number, keyIds?: readonly number[]): Promise<KeyDistance[]> {
    const t = vectorTableName(modelId);
    const k = Math.min(limit, 4096);
    const rows = keyIds
      ? await db.all<{ key_id: number; distance: number }>(
          `SELECT rowid AS key_id, distance FROM ${t} WHERE embedding MATCH ? AND k = ? AND rowid IN (SELECT value FROM json_each(?)) ORDER BY distance`,
          [blob(vector), k, JSON.stringify(keyIds)],
        )
      : await db.all<{ key_id: number; distance: number }>(`SELECT rowid AS key_id, distance FROM ${t} WHERE embedding MATCH ? AND k = ? ORDER BY distance`, [blob(vector), k]);
    return rows.map((r) => ({ keyId: Number(r.key_id), distance: Number(r.distance) }));
  },
};
