import { createHash } from 'node:crypto';

/** What is indexed: notes (and the documents written into the vault), mail, calendar events, messages. */
export type ChunkKind = 'note' | 'mail' | 'calendar' | 'message';

/**
 * One searchable piece of text and where it came from. People are not stored: they are the
 * people of the interactions with this `source` and conversation key (`conv`) whose time lies
 * in [`tFrom`, `tTo`], looked up when a query runs, so merges and splits apply at once.
 */
export interface Chunk {
  kind: ChunkKind;
  /** The item the chunk belongs to (a note, a message, an event, a conversation's day). */
  docKey: string;
  /** Position within the item, from 0. */
  ord: number;
  /** Source type of the item's interactions (vault, granola, gmail, calendar, slack, …). */
  source: string;
  conv: string;
  tFrom: number;
  tTo: number;
  /** When it happened (epoch ms). */
  at: number;
  title: string;
  heading: string;
  body: string;
  /** Link back: note path, message id, event id, `<conversation>@<day>`. */
  ref: string;
}

/** The text a chunk is searched and embedded by. */
export const chunkText = (c: Pick<Chunk, 'title' | 'heading' | 'body'>) => [c.title, c.heading, c.body].filter(Boolean).join('\n');

/** sha256 hex of the chunk's text: vectors are keyed by it, and an unchanged hash is not rewritten. */
export const contentHash = (c: Pick<Chunk, 'title' | 'heading' | 'body'>) => createHash('sha256').update(chunkText(c)).digest('hex');

/** A time window covering every interaction of an item whatever its time (a note re-dated by an edit). */
export const ALL_TIME = { tFrom: 0, tTo: 8.64e15 } as const;

/** Split text into pieces of at most `max` words at word boundaries. */
export function byWords(text: string, max: number): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i < words.length; i += max) out.push(words.slice(i, i + max).join(' '));
  return out;
}

export const wordCount = (s: string) => (s.match(/\S+/g) ?? []).length;
