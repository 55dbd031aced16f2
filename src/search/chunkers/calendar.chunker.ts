import type { Chunk } from './chunk.js';
import type { Item } from './item.js';

/** A calendar event → one chunk: its title, description and the attendees' names. */
export function chunkEvent(item: Item): Chunk {
  const body = [item.snippet, item.names.length ? `Attendees: ${item.names.join(', ')}` : ''].filter(Boolean).join('\n');
  return {
    kind: 'calendar',
    docKey: `calendar:${item.source}:${item.itemKey}`,
    ord: 0,
    source: item.source,
    conv: item.conv,
    tFrom: item.at,
    tTo: item.at,
    at: item.at,
    title: item.title,
    heading: '',
    body,
    ref: item.itemKey,
  };
}
