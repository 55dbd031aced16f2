import type { Chunk } from './chunk.js';

/**
 * One item (a message, an event) as the interactions table keeps it: its rows (one per person)
 * share the item key, the text and the time; `names` are those people's names.
 */
export interface Item {
  source: string;
  itemKey: string;
  conv: string;
  at: number;
  title: string;
  snippet: string;
  names: string[];
}

/** Item key of an interaction row: its external id without `#<entity ref>`. */
export function itemKeyOf(externalId: string, entityRef: string | null): string {
  if (entityRef && externalId.endsWith(`#${entityRef}`)) return externalId.slice(0, externalId.length - entityRef.length - 1);
  const i = externalId.lastIndexOf('#');
  return i < 0 ? externalId : externalId.slice(0, i);
}

/** Group interaction rows (sorted by item) into items, names in first-seen order without repeats. */
export function groupItems(rows: readonly { source: string; itemKey: string; conv: string; at: number; title: string; snippet: string | null; name: string }[]): Item[] {
  const byKey = new Map<string, Item>();
  for (const r of rows) {
    const key = `${r.source}\u0000${r.itemKey}`;
    let item = byKey.get(key);
    if (!item) byKey.set(key, (item = { source: r.source, itemKey: r.itemKey, conv: r.conv, at: r.at, title: r.title, snippet: r.snippet ?? '', names: [] }));
    if (r.name && !item.names.includes(r.name)) item.names.push(r.name);
  }
  return [...byKey.values()];
}

/** One item → its one chunk (a mail, an event): the item's text with a line naming its people. */
export function singleItemChunk(kind: 'mail' | 'calendar', item: Item, peopleLabel: string): Chunk {
  const body = [item.snippet, item.names.length ? `${peopleLabel} ${item.names.join(', ')}` : ''].filter(Boolean).join('\n');
  return { kind, docKey: `${kind}:${item.source}:${item.itemKey}`, ord: 0, source: item.source, conv: item.conv, tFrom: item.at, tTo: item.at, at: item.at, title: item.title, heading: '', body, ref: item.itemKey };
}
