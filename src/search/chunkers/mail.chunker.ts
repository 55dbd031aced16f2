import type { Chunk } from './chunk.js';
import type { Item } from './item.js';

/** A mail message → one chunk: its subject, the text the source keeps, and who it was with. */
export function chunkMail(item: Item): Chunk {
  const body = [item.snippet, item.names.length ? `With ${item.names.join(', ')}` : ''].filter(Boolean).join('\n');
  return {
    kind: 'mail',
    docKey: `mail:${item.source}:${item.itemKey}`,
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
