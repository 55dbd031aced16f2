import { performance } from 'node:perf_hooks';
import type { Db } from '../../src/db/db.js';
import { enableVectorExtension } from '../../src/search/vectors/vector-extension.js';
import { createVectorIndex } from '../../src/search/vectors/vector-index.js';
import { EmbeddingsClient } from '../../src/systems/embeddings/embeddings-client.js';
import { startEmbeddingsEmulator } from '../../tests/emulators/embeddings/embeddings-emulator.js';

/**
 * Timings of the vector index over the loopback embeddings emulator, for a search benchmark
 * to report beside its BM25 figures: embedding throughput (HTTP, vectors written) and query
 * latency over the whole model and restricted to a set of hashes (a person filter).
 */
export interface VectorTimingOptions {
  /** The chunks to embed (streamed). */
  chunks: AsyncIterable<{ hash: string; text: string }> | Iterable<{ hash: string; text: string }>;
  /** Query texts (each run once per measurement). */
  queries: readonly string[];
  /** Hash sets to restrict queries to, one per query in turn (e.g. a person's chunks). */
  withinSets?: readonly (readonly string[])[];
  dims?: number;
  batchSize?: number;
  k?: number;
}

export interface VectorTimings {
  embedded: number;
  embed_chunks_per_s: number;
  nearest_ms: { p50: number; p95: number; p99: number };
  nearest_within_ms?: { p50: number; p95: number; p99: number };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const summary = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: +pct(s, 50).toFixed(2), p95: +pct(s, 95).toFixed(2), p99: +pct(s, 99).toFixed(2) };
};

export async function timeVectorIndex(db: Db, o: VectorTimingOptions): Promise<VectorTimings> {
  const ext = await enableVectorExtension(db);
  if (!ext.ok) throw new Error(ext.reason);
  const model = 'kith-bench-embed';
  const emu = await startEmbeddingsEmulator({ dims: o.dims ?? 384, models: [model] });
  const client = new EmbeddingsClient({ url: emu.url, model, batchSize: o.batchSize ?? 256 });
  try {
    const index = createVectorIndex(db, client, model);
    const t0 = performance.now();
    const embedded = await index.embedMissing(o.chunks);
    const embedS = (performance.now() - t0) / 1000;
    const time = async (within?: (i: number) => readonly string[]) => {
      const ms: number[] = [];
      for (let i = 0; i < o.queries.length; i++) {
        const t = performance.now();
        await index.nearest(o.queries[i]!, o.k ?? 20, within?.(i));
        ms.push(performance.now() - t);
      }
      return summary(ms);
    };
    const nearest = await time();
    const sets = o.withinSets;
    return {
      embedded,
      embed_chunks_per_s: Math.round(embedded / Math.max(embedS, 1e-9)),
      nearest_ms: nearest,
      ...(sets?.length ? { nearest_within_ms: await time((i) => sets[i % sets.length]!) } : {}),
    };
  } finally {
    await client.close();
    await emu.close();
  }
}
