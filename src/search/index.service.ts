import { type Dirent, readFileSync, type Stats, statSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { Db } from '../db/db.js';
import { CHAT_SOURCES } from '../domain/people/source-mapping.js';
import { chunkEvent } from './chunkers/calendar.chunker.js';
import type { Chunk, ChunkKind } from './chunkers/chunk.js';
import { chunkConversationDay, dayOf } from './chunkers/conversation.chunker.js';
import { groupItems, type Item, itemKeyOf } from './chunkers/item.js';
import { chunkMail } from './chunkers/mail.chunker.js';
import { chunkNote, type NoteFile, noteDocKey, noteInputHash } from './chunkers/note.chunker.js';
import { deleteUnseen, emptyCounts, type IndexCounts, type NoteStamp, noteStamps, writeItems } from './chunk.store.js';

/** The interaction source types each kind of item chunk is built from. */
export const ITEM_SOURCES: Record<Exclude<ChunkKind, 'note'>, readonly string[]> = {
  mail: ['gmail'],
  calendar: ['calendar'],
  message: [...CHAT_SOURCES],
};

export interface IndexProgress {
  (kind: ChunkKind, done: number): void;
}

const add = (a: IndexCounts, b: IndexCounts) => {
  a.written += b.written;
  a.created += b.created;
  a.updated += b.updated;
  a.unchanged += b.unchanged;
  a.deleted += b.deleted;
};

/** A folder of notes to index: a vault source's folder, or a content source's `into` outside every vault. */
export interface NoteRoot {
  id: string;
  path: string;
}

/**
 * Index the notes of these folders: every `*.md` below each (dot folders and files skipped, as
 * the vault source does), chunked by heading and paragraph. A note whose file has the size and
 * mtime stored with its chunks is not read again, one whose text is the same is not chunked
 * again; only chunks whose content changed are written; notes deleted from a folder lose their
 * chunks. A folder inside another listed folder is indexed once, as part of the outer one.
 */
export async function indexNotes(db: Db, roots: readonly NoteRoot[], opts: { batch?: number; progress?: IndexProgress } = {}): Promise<IndexCounts & { missingFolders: string[] }> {
  const counts = { ...emptyCounts(), missingFolders: [] as string[] };
  const abs = roots.map((r) => ({ ...r, path: resolve(r.path) }));
  const outer = abs.filter((r) => !abs.some((o) => o !== r && (r.path.startsWith(o.path + sep) || (r.path === o.path && abs.indexOf(o) < abs.indexOf(r)))));
  for (const root of outer) {
    // A folder this host cannot see keeps its chunks: it is not a vault whose notes were deleted.
    if (!(await stat(root.path).then((st) => st.isDirectory(), () => false))) {
      counts.missingFolders.push(root.path);
      continue;
    }
    const seen = new Set<string>();
    let pending: string[] = [];
    const batch = new NoteBatch();
    const flush = async (last: boolean) => {
      batch.stored = await noteStamps(db, pending.map((rel) => noteDocKey(root.id, rel)));
      // Stat-ed, and the changed ones read, synchronously (see statNote).
      const stats = pending.map((rel) => statNote(join(root.path, rel)));
      const changed = pending.flatMap((rel, i) => {
        const st = stats[i];
        if (!st) return []; // removed since the folder was listed: its chunks go with it
        const docKey = noteDocKey(root.id, rel);
        seen.add(docKey);
        return batch.unchangedFile(docKey, st.size, Math.round(st.mtimeMs)) ? [] : [{ rel, st }];
      });
      changed.forEach(({ rel, st }) => {
        const text = readNote(join(root.path, rel));
        if (text === undefined) seen.delete(noteDocKey(root.id, rel));
        else batch.add({ root: root.id, rel, text, mtimeMs: Math.round(st.mtimeMs) }, st.size);
      });
      // Changed notes are written once enough of them gather (a transaction each batch of
      // mostly unchanged files would cost more than the writing).
      if (last || batch.size >= (opts.batch ?? 200)) add(counts, await batch.write(db));
      opts.progress?.('note', seen.size);
      pending = [];
    };
    for await (const rel of markdownFiles(root.path)) {
      pending.push(rel);
      if (pending.length >= (opts.batch ?? 200)) await flush(false);
    }
    await flush(true);
    counts.deleted += await deleteUnseen(db, 'note', seen, `note:${root.id}:`);
  }
  return counts;
}

/**
 * A note file's stat, or undefined when it has gone; other errors say which file. Synchronous,
 * as is reading a changed note: a few microseconds a call, where a thread pool's round trip per
 * file would cost more than the call.
 */
function statNote(file: string): Stats | undefined {
  try {
    return statSync(file, { throwIfNoEntry: false });
  } catch (err) {
    throw new Error(`cannot read note ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** A note file's text, or undefined when it has gone since it was listed. */
function readNote(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read note ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Notes to write: a note whose stored stamp matches is counted unchanged (its chunks are
 * neither made nor compared); the others are chunked and gathered until `write`, which writes
 * them with their new stamps and starts over. `stored` holds the stamps of the notes looked at next.
 */
class NoteBatch {
  private items = new Map<string, Chunk[]>();
  private stamps = new Map<string, NoteStamp>();
  private unchanged = 0;
  stored: ReadonlyMap<string, NoteStamp> = new Map();

  /** Notes gathered to write. */
  get size(): number {
    return this.items.size;
  }

  /** Whether the stamp stored for this note says its file is as it was (same size and mtime). */
  unchangedFile(docKey: string, size: number, mtimeMs: number): boolean {
    const old = this.stored.get(docKey);
    if (!old || old.size !== size || old.mtimeMs !== mtimeMs) return false;
    this.unchanged += old.chunks;
    return true;
  }

  add(note: NoteFile, size: number): void {
    const docKey = noteDocKey(note.root, note.rel);
    const hash = noteInputHash(note);
    const old = this.stored.get(docKey);
    if (old?.hash === hash) {
      this.unchanged += old.chunks;
      return;
    }
    const chunks = chunkNote(note);
    this.items.set(docKey, chunks);
    this.stamps.set(docKey, { size, mtimeMs: note.mtimeMs, hash, chunks: chunks.length });
  }

  async write(db: Db): Promise<IndexCounts> {
    const counts = await writeItems(db, this.items, Date.now(), this.stamps);
    counts.unchanged += this.unchanged;
    this.items = new Map();
    this.stamps = new Map();
    this.unchanged = 0;
    return counts;
  }
}

/** Vault-relative `/` paths of Markdown notes below `root`, skipping dot entries. */
async function* markdownFiles(root: string, dir = ''): AsyncGenerator<string> {
  let entries: Dirent[];
  try {
    entries = await readdir(join(root, dir), { withFileTypes: true });
  } catch (err) {
    throw new Error(`cannot read notes folder ${join(root, dir)}: ${(err as Error).message}`, { cause: err });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) yield* markdownFiles(root, rel);
    else if (e.isFile() && /\.md$/i.test(e.name)) yield rel;
  }
}

interface InteractionRow {
  source_type: string;
  external_id: string;
  entity_ref: string | null;
  occurred_at: number | string;
  title: string;
  snippet: string | null;
  conversation_key: string;
  name: string | null;
}

/**
 * Index one kind of item from the interactions table (mail: a chunk per message; calendar: per
 * event; messages: per conversation and day), a page of conversations at a time. Only changed
 * chunks are written; items no longer in the table lose their chunks.
 */
export async function indexItems(db: Db, kind: Exclude<ChunkKind, 'note'>, opts: { conversations?: number; progress?: IndexProgress } = {}): Promise<IndexCounts> {
  const counts = emptyCounts();
  const sources = ITEM_SOURCES[kind];
  const inSources = `source_type IN (${sources.map(() => '?').join(', ')})`;
  const seen = new Set<string>();
  // SQLite's planner would walk every row of the source types (their unique index) and sort,
  // on every page: a page is a range of conversations, which this index reads in order.
  const byConversation = db.engine === 'sqlite' ? ' INDEXED BY interactions_conversation' : '';
  let after: string | null = null;
  for (;;) {
    const page: { conversation_key: string }[] = await db.all<{ conversation_key: string }>(
      `SELECT DISTINCT conversation_key FROM interactions${byConversation} WHERE conversation_key IS NOT NULL AND ${after === null ? '' : 'conversation_key > ? AND '}${inSources} ORDER BY conversation_key LIMIT ?`,
      [...(after === null ? [] : [after]), ...sources, opts.conversations ?? 200],
    );
    if (!page.length) break;
    const first = page[0]!.conversation_key;
    const last = page[page.length - 1]!.conversation_key;
    const rows = await db.all<InteractionRow>(
      `SELECT i.source_type, i.external_id, i.entity_ref, i.occurred_at, i.title, i.snippet, i.conversation_key, COALESCE(m.canonical_name, p.canonical_name) AS name
         FROM interactions i${byConversation} JOIN people p ON p.id = i.person_id LEFT JOIN people m ON m.id = p.merged_into
        WHERE i.conversation_key >= ? AND i.conversation_key <= ? AND i.${inSources}
        ORDER BY i.conversation_key, i.source_type, i.occurred_at, i.external_id`,
      [first, last, ...sources],
    );
    const items = groupItems(
      rows.map((r) => ({
        source: r.source_type,
        itemKey: itemKeyOf(r.external_id, r.entity_ref),
        conv: r.conversation_key,
        at: Number(r.occurred_at),
        title: r.title,
        snippet: r.snippet,
        name: r.name ?? '',
      })),
    );
    const docs = new Map<string, Chunk[]>();
    for (const chunks of chunksOf(kind, items)) {
      seen.add(chunks[0]!.docKey);
      docs.set(chunks[0]!.docKey, chunks);
    }
    add(counts, await writeItems(db, docs));
    opts.progress?.(kind, seen.size);
    after = last;
  }
  counts.deleted += await deleteUnseen(db, kind, seen);
  return counts;
}

function chunksOf(kind: Exclude<ChunkKind, 'note'>, items: Item[]): Chunk[][] {
  if (kind === 'mail') return items.map((i) => [chunkMail(i)]);
  if (kind === 'calendar') return items.map((i) => [chunkEvent(i)]);
  const days = new Map<string, Item[]>();
  for (const i of items) {
    const k = `${i.source}\u0000${i.conv}\u0000${dayOf(i.at)}`;
    const list = days.get(k);
    if (list) list.push(i);
    else days.set(k, [i]);
  }
  return [...days.values()].map(chunkConversationDay).filter((c) => c.length);
}
