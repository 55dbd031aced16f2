import type { Db } from '../db/db.js';
import type { ConfiguredSource } from '../sync/kith-config.js';
import { chunkTexts, type IndexCounts } from './chunk.store.js';
import { indexItems, indexNotes, type IndexProgress } from './index.service.js';
import { noteRoots } from './note-roots.js';
import type { VectorIndex } from './vector-index.port.js';

export interface RebuildResult {
  notes: IndexCounts;
  mail: IndexCounts;
  calendar: IndexCounts;
  message: IndexCounts;
  missingFolders: string[];
  /** Chunks embedded (with --embeddings and a VectorIndex). */
  embedded?: number;
}

/**
 * Rebuild the search index from the database and the notes folders: every chunk is dropped and
 * written again. With a VectorIndex, every chunk's text not yet embedded for its model is.
 */
export async function rebuildIndex(db: Db, sources: readonly ConfiguredSource[], opts: { vectors?: VectorIndex; progress?: IndexProgress } = {}): Promise<RebuildResult> {
  await db.tx(async (q) => {
    await q.run('DELETE FROM search_note_stamps');
    await q.run('DELETE FROM search_chunks');
  });
  const { missingFolders, ...notes } = await indexNotes(db, noteRoots(sources), { progress: opts.progress });
  const mail = await indexItems(db, 'mail', { progress: opts.progress });
  const calendar = await indexItems(db, 'calendar', { progress: opts.progress });
  const message = await indexItems(db, 'message', { progress: opts.progress });
  const out: RebuildResult = { notes, mail, calendar, message, missingFolders };
  if (opts.vectors) out.embedded = await opts.vectors.embedMissing(chunkTexts(db));
  return out;
}
