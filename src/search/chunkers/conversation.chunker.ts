import { byWords, type Chunk, wordCount } from './chunk.js';
import type { Item } from './item.js';

/** Words a conversation chunk aims for; a busier day is cut into several chunks. */
export const CONVERSATION_CHUNK_WORDS = 300;
export const DAY_MS = 86_400_000;

/** The UTC day of a time, `YYYY-MM-DD`. */
export const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The messages of one conversation on one (UTC) day → chunks that read as the conversation:
 * one line per message (`HH:MM text`), under the conversation's title and its people, packed
 * into chunks of up to CONVERSATION_CHUNK_WORDS words. `items` are of one source, one
 * conversation and one day.
 */
export function chunkConversationDay(items: readonly Item[]): Chunk[] {
  const sorted = [...items].sort((a, b) => a.at - b.at || (a.itemKey < b.itemKey ? -1 : 1));
  const first = sorted[0];
  if (!first) return [];
  const day = dayOf(first.at);
  const dayStart = Date.parse(`${day}T00:00:00Z`);
  const names = [...new Set(sorted.flatMap((i) => i.names))];
  const title = sorted.find((i) => i.title)?.title ?? first.conv;
  const lines = sorted.filter((i) => i.snippet).flatMap((i) => byWords(i.snippet, CONVERSATION_CHUNK_WORDS).map((t) => `${new Date(i.at).toISOString().slice(11, 16)} ${t}`));
  const bodies: string[] = [];
  let cur: string[] = [];
  let n = 0;
  for (const line of lines) {
    const w = wordCount(line);
    if (n && n + w > CONVERSATION_CHUNK_WORDS) {
      bodies.push(cur.join('\n'));
      cur = [];
      n = 0;
    }
    cur.push(line);
    n += w;
  }
  if (cur.length || !bodies.length) bodies.push(cur.join('\n'));
  const heading = names.length ? `With ${names.join(', ')}` : '';
  return bodies.map((body, ord) => ({
    kind: 'message',
    docKey: `message:${first.source}:${first.conv}@${day}`,
    ord,
    source: first.source,
    conv: first.conv,
    tFrom: dayStart,
    tTo: dayStart + DAY_MS - 1,
    at: sorted[sorted.length - 1]!.at,
    title,
    heading,
    body,
    ref: `${first.conv}@${day}`,
  }));
}
