import type { Db, Params } from '../../db/db.js';
import { inList } from '../../db/sql-lists.js';
import { FatalError } from '../../errors.js';
import { inGroups } from './in-groups.js';
import { EXACT_WITHIN_MAX, planNearest } from './nearest-plan.js';
import { pgVectorTable } from './pg-vector-table.js';
import { sqliteVectorTable } from './sqlite-vector-table.js';
import type { VectorTable } from './vector-table.js';

export interface StoredModel {
  id: number;
  dims: number;
}

/** The hashes still in use: listed, or a query (with its parameters) whose `hash` column yields them. */
export type LiveHashes = AsyncIterable<string> | Iterable<string> | { sql: string; params?: Params };

const isLiveQuery = (live: LiveHashes): live is { sql: string; params?: Params } => typeof (live as { sql?: unknown }).sql === 'string';

/** Rows per statement when listing or deleting keys (well under every placeholder limit: lists are one JSON/array parameter). */
const GROUP = 1000;

/**
 * Vectors keyed by (model, content hash). `search_vector_keys` says which hashes have a vector
 * per model (plain SQL, both engines); the vectors live in the engine's table per model
 * (vector-table.ts). The engine's extension must be enabled first (vector-extension.ts).
 */
export class VectorStore {
  private readonly table: VectorTable;
  private readonly exactWithinMax: number | undefined;
  /** Models whose table this store has made sure of (creating it is idempotent; once per store is enough). */
  private readonly ready = new Set<number>();

  constructor(
    private readonly db: Db,
    opts: { table?: VectorTable; exactWithinMax?: number } = {},
  ) {
    this.table = opts.table ?? (db.engine === 'sqlite' ? sqliteVectorTable : pgVectorTable);
    this.exactWithinMax = opts.exactWithinMax;
  }

  /** The model's id and dimensions, or undefined before its first vector. */
  async model(model: string): Promise<StoredModel | undefined> {
    // Not cached: another process may drop the model (ids are never reused).
    const row = await this.db.get<{ id: number; dims: number }>('SELECT id, dims FROM search_vector_models WHERE model = ?', [model]);
    if (!row) return undefined;
    return { id: Number(row.id), dims: Number(row.dims) };
  }

  /** Register the model with the dimensions of its first vectors (idempotent) and create its table. */
  async ensureModel(model: string, dims: number): Promise<StoredModel> {
    let m = await this.model(model);
    if (!m) {
      await this.db.run('INSERT INTO search_vector_models (model, dims, created_at) VALUES (?, ?, ?) ON CONFLICT (model) DO NOTHING', [model, dims, Date.now()]);
      m = (await this.model(model))!;
    }
    // Also when the row is older: a process that stopped between the two still gets its table.
    if (!this.ready.has(m.id)) {
      await this.table.create(this.db, m.id, m.dims);
      this.ready.add(m.id);
    }
    if (m.dims !== dims) {
      throw new FatalError(`embedding model '${model}' answered ${dims}-dimensional vectors, but its stored vectors have ${m.dims} dimensions (KITH_EMBEDDINGS_DIMENSIONS changed? set it back, or use another model name)`, 'embeddings_dims_changed');
    }
    return m;
  }

  /** Which of these hashes already have a vector of this model. */
  async existing(model: string, hashes: readonly string[]): Promise<Set<string>> {
    const m = await this.model(model);
    const out = new Set<string>();
    if (!m || !hashes.length) return out;
    for (let i = 0; i < hashes.length; i += GROUP) {
      const list = inList(this.db, 'hash', hashes.slice(i, i + GROUP));
      const rows = await this.db.all<{ hash: string }>(`SELECT hash FROM search_vector_keys WHERE model_id = ? AND ${list.sql}`, [m.id, ...list.params]);
      for (const r of rows) out.add(r.hash);
    }
    return out;
  }

  /** Store vectors; a hash stored before (by this or another process) keeps its vector. Returns how many were new. */
  async put(model: string, rows: readonly { hash: string; vector: Float32Array }[]): Promise<number> {
    if (!rows.length) return 0;
    const m = await this.ensureModel(model, rows[0]!.vector.length);
    const odd = rows.find((r) => r.vector.length !== m.dims);
    if (odd) await this.ensureModel(model, odd.vector.length); // throws, naming the model
    return this.db.tx(async (q) => {
      const inserted = await q.runMany('INSERT INTO search_vector_keys (model_id, hash) VALUES (?, ?) ON CONFLICT (model_id, hash) DO NOTHING', rows.map((r) => [m.id, r.hash]));
      const fresh = rows.filter((_, i) => inserted.perRow[i]! > 0);
      if (!fresh.length) return 0;
      const list = inList(q, 'hash', fresh.map((r) => r.hash));
      const ids = new Map((await q.all<{ id: number; hash: string }>(`SELECT id, hash FROM search_vector_keys WHERE model_id = ? AND ${list.sql}`, [m.id, ...list.params])).map((r) => [r.hash, Number(r.id)]));
      await this.table.insert(q, m.id, fresh.map((r) => ({ keyId: ids.get(r.hash)!, vector: r.vector })));
      return fresh.length;
    });
  }

  async count(model: string): Promise<number> {
    const m = await this.model(model);
    if (!m) return 0;
    const row = await this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM search_vector_keys WHERE model_id = ?', [m.id]);
    return Number(row?.n ?? 0);
  }

  /** The `k` stored hashes nearest to `vector`, best first; `within` restricts to those hashes. */
  async nearest(model: string, vector: Float32Array, k: number, within?: readonly string[]): Promise<{ hash: string; distance: number }[]> {
    const m = await this.model(model);
    if (!m || k < 1 || (within && !within.length)) return [];
    if (vector.length !== m.dims) throw new FatalError(`query vector of model '${model}' has ${vector.length} dimensions, stored vectors ${m.dims}`, 'embeddings_dims_changed');
    k = Math.min(k, this.table.maxK);
    if (!within) return this.named(await this.table.nearest(this.db, m.id, vector, k));
    const keyIds = await this.keyIds(m.id, within);
    if (!keyIds.length) return [];
    // Counting the model's vectors only matters when the index might be asked instead.
    const small = this.table.exactKnn || keyIds.length <= (this.exactWithinMax ?? EXACT_WITHIN_MAX);
    const plan = planNearest(k, keyIds.length, small ? keyIds.length : await this.count(model), this.table.exactKnn, this.exactWithinMax);
    if (plan.kind === 'knn') {
      const wanted = new Set(keyIds);
      const hits = (await this.table.nearest(this.db, m.id, vector, plan.candidates)).filter((h) => wanted.has(h.keyId));
      if (hits.length >= k) return this.named(hits.slice(0, k));
    }
    const hits: { keyId: number; distance: number }[] = [];
    for (let i = 0; i < keyIds.length; i += 50_000) hits.push(...(await this.table.nearest(this.db, m.id, vector, k, keyIds.slice(i, i + 50_000))));
    return this.named(hits.sort((a, b) => a.distance - b.distance).slice(0, k));
  }

  /**
   * Delete this model's vectors of every hash not in `live`: the hashes chunks still use, either
   * listed (read once, streaming, into a set) or as a query whose `hash` column yields them
   * (`{sql: 'SELECT content_hash AS hash FROM chunks'}`: nothing is held in memory). Returns how
   * many vectors were deleted.
   */
  async prune(model: string, live: LiveHashes): Promise<number> {
    const m = await this.model(model);
    if (!m) return 0;
    let deleted = 0;
    let after = 0;
    if (isLiveQuery(live)) {
      const sql = `SELECT id FROM search_vector_keys WHERE model_id = ? AND id > ? AND hash NOT IN (SELECT live.hash FROM (${live.sql}) live WHERE live.hash IS NOT NULL) ORDER BY id LIMIT ?`;
      for (;;) {
        const dead = (await this.db.all<{ id: number }>(sql, [m.id, after, ...(live.params ?? []), GROUP])).map((r) => Number(r.id));
        if (!dead.length) break;
        after = dead.at(-1)!;
        deleted += await this.deleteKeys(m.id, dead);
      }
      return deleted;
    }
    const keep = new Set<string>();
    for await (const h of live) keep.add(h);
    for (;;) {
      const rows = await this.db.all<{ id: number; hash: string }>('SELECT id, hash FROM search_vector_keys WHERE model_id = ? AND id > ? ORDER BY id LIMIT ?', [m.id, after, GROUP]);
      if (!rows.length) break;
      after = Number(rows.at(-1)!.id);
      const dead = rows.filter((r) => !keep.has(r.hash)).map((r) => Number(r.id));
      if (dead.length) deleted += await this.deleteKeys(m.id, dead);
    }
    return deleted;
  }

  /** Forget a model and all its vectors (a model no longer configured). */
  async dropModel(model: string): Promise<void> {
    const m = await this.model(model);
    if (!m) return;
    await this.db.tx(async (q) => {
      await this.table.drop(q, m.id);
      await q.run('DELETE FROM search_vector_keys WHERE model_id = ?', [m.id]);
      await q.run('DELETE FROM search_vector_models WHERE id = ?', [m.id]);
    });
  }

  private async deleteKeys(modelId: number, keyIds: readonly number[]): Promise<number> {
    return this.db.tx(async (q) => {
      await this.table.delete(q, modelId, keyIds);
      const list = inList(q, 'id', keyIds, 'bigint');
      return (await q.run(`DELETE FROM search_vector_keys WHERE ${list.sql}`, list.params)).changes;
    });
  }

  private async keyIds(modelId: number, hashes: readonly string[]): Promise<number[]> {
    const out: number[] = [];
    for await (const group of inGroups(new Set(hashes), 10_000)) {
      const list = inList(this.db, 'hash', group);
      const rows = await this.db.all<{ id: number }>(`SELECT id FROM search_vector_keys WHERE model_id = ? AND ${list.sql}`, [modelId, ...list.params]);
      for (const r of rows) out.push(Number(r.id));
    }
    return out;
  }

  private async named(hits: readonly { keyId: number; distance: number }[]): Promise<{ hash: string; distance: number }[]> {
    if (!hits.length) return [];
    const list = inList(this.db, 'id', hits.map((h) => h.keyId), 'bigint');
    const hashes = new Map((await this.db.all<{ id: number; hash: string }>(`SELECT id, hash FROM search_vector_keys WHERE ${list.sql}`, list.params)).map((r) => [Number(r.id), r.hash]));
    return hits.filter((h) => hashes.has(h.keyId)).map((h) => ({ hash: hashes.get(h.keyId)!, distance: h.distance }));
  }
}
