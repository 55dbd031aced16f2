import type { Db } from '../../db/db.js';
import type { IndexCounts } from '../../search/chunk.store.js';
import { chunkTexts } from '../../search/chunk.store.js';
import type { ChunkKind } from '../../search/chunkers/chunk.js';
import { withVectors } from '../../search/vector-wiring.js';
import type { StepOutput } from './step-declaration.js';

/**
 * An index step's outcome for its sync_logs row (chunks created, updated, unchanged, deleted),
 * after embedding the chunks of its kind whose hash the VectorIndex does not hold yet, when an
 * embedding endpoint is configured: a chunk is embedded once per content and model.
 */
export async function indexOutput(db: Db, kind: ChunkKind, counts: IndexCounts, extra: Record<string, unknown> = {}): Promise<StepOutput> {
  const { vectors, off, embedded } = await withVectors(db, async ({ vectors, off }) => ({ vectors, off, embedded: vectors ? await vectors.embedMissing(chunkTexts(db, { kind })) : undefined }));
  return {
    records: counts.written + counts.unchanged,
    result: { ...counts, ...extra, ...(vectors ? { embedded, model: vectors.model } : { vectors: off }) },
    counts: { created: counts.created, updated: counts.updated, unchanged: counts.unchanged, deleted: counts.deleted },
  };
}
