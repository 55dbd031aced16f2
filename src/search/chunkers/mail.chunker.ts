import type { Chunk } from './chunk.js';
import { type Item, singleItemChunk } from './item.js';

/** A mail message → one chunk: its subject, the text the source keeps, and who it was with. */
export function chunkMail(item: Item): Chunk {
  return singleItemChunk('mail', item, 'With');
}
