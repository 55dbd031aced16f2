import type { Chunk } from './chunk.js';
import { type Item, singleItemChunk } from './item.js';

/** A calendar event → one chunk: its title, description and the attendees' names. */
export function chunkEvent(item: Item): Chunk {
  return singleItemChunk('calendar', item, 'Attendees:');
}
