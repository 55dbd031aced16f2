import { createHash } from 'node:crypto';
import { parseNoteDate, splitNote } from '../../sources/vault/front-matter.js';
import { basename } from '../../sources/vault/vault-index.js';
import { plainNoteText } from '../../sources/vault/wikilinks.js';
import { ALL_TIME, byWords, type Chunk, wordCount } from './chunk.js';

/** Words a chunk aims for: paragraphs are packed up to this, a longer paragraph is cut. */
export const NOTE_CHUNK_WORDS = 250;

/** Changes whenever the rules below change what chunks a note gives: stored note hashes then no longer match. */
const NOTE_RULES_VERSION = 1;

export interface NoteFile {
  /** Key of the folder it was read from (the vault source's id), so two vaults never collide. */
  root: string;
  /** Path relative to that folder, with `/`: the note's conversation key in `interactions`. */
  rel: string;
  text: string;
  mtimeMs: number;
}

/** The item key of a note's chunks. */
export const noteDocKey = (root: string, rel: string) => `note:${root}:${rel}`;

/** A hash of everything a note's chunks are made from (its place, text, mtime and these rules): equal hashes, equal chunks. */
export function noteInputHash(note: NoteFile): string {
  return createHash('sha256').update(`${NOTE_RULES_VERSION}\u0000${note.root}\u0000${note.rel}\u0000${note.mtimeMs}\u0000`).update(note.text).digest('hex');
}

/**
 * A note → chunks by heading and paragraph: each heading starts a section, a section's
 * paragraphs are packed into chunks of up to NOTE_CHUNK_WORDS words, each keeping the note's
 * path, title and the heading above it. Wikilinks read as the names they show. The source,
 * title and date follow the vault's rules (front matter `source: granola`, `title`, `date` or
 * `created`, else the file's mtime).
 */
export function chunkNote(note: NoteFile): Chunk[] {
  const split = simpleFrontMatter(note.text) ?? splitNote(note.text);
  const fm = split.ok ? split.data : {};
  const body = split.ok ? split.body : note.text;
  const title = typeof fm.title === 'string' && fm.title.trim() ? fm.title.trim() : basename(note.rel);
  const at = parseNoteDate(fm.date) ?? parseNoteDate(fm.created) ?? note.mtimeMs;
  const source = String(fm.source ?? '').toLowerCase() === 'granola' ? 'granola' : 'vault';
  const base = { kind: 'note' as const, docKey: noteDocKey(note.root, note.rel), source, conv: note.rel, ...ALL_TIME, at, title, ref: note.rel };
  const out: Chunk[] = [];
  for (const section of sections(body)) {
    for (const text of pack(section.paragraphs)) out.push({ ...base, ord: out.length, heading: section.heading, body: text });
  }
  if (!out.length) out.push({ ...base, ord: 0, heading: '', body: '' });
  return out;
}

function sections(markdown: string): { heading: string; paragraphs: string[] }[] {
  const out: { heading: string; paragraphs: string[] }[] = [{ heading: '', paragraphs: [] }];
  let para: string[] = [];
  let fence = false;
  const flush = () => {
    const text = plainNoteText(para.join('\n')).replace(/\s+/g, ' ').trim();
    if (text) out[out.length - 1]!.paragraphs.push(text);
    para = [];
  };
  for (const line of markdown.split(/\r?\n/)) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    const h = fence ? null : /^#{1,6}\s+(.*)$/.exec(line);
    if (h) {
      flush();
      out.push({ heading: plainNoteText(h[1]!).trim(), paragraphs: [] });
    } else if (!fence && !line.trim()) flush();
    else para.push(line);
  }
  flush();
  return out.filter((s) => s.paragraphs.length || s.heading);
}

/** Paragraphs packed into chunks of up to NOTE_CHUNK_WORDS words; a longer paragraph is cut. */
function pack(paragraphs: string[]): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  let n = 0;
  for (const p of paragraphs.flatMap((x) => (wordCount(x) > NOTE_CHUNK_WORDS ? byWords(x, NOTE_CHUNK_WORDS) : [x]))) {
    const w = wordCount(p);
    if (n && n + w > NOTE_CHUNK_WORDS) {
      out.push(cur.join('\n\n'));
      cur = [];
      n = 0;
    }
    cur.push(p);
    n += w;
  }
  if (cur.length) out.push(cur.join('\n\n'));
  return out.length ? out : [''];
}

const FIELDS = new Set(['title', 'date', 'created', 'source']);

/**
 * The front matter fields chunking reads (title, date, created, source) without a YAML parser,
 * when every front matter line is a plain `key: value`, a list item or blank and those fields
 * are plain or simply quoted scalars; anything else (undefined) goes to the full parser. Same
 * results as splitNote for the notes it accepts, at a fraction of the cost.
 */
export function simpleFrontMatter(text: string): { ok: true; data: Record<string, string>; body: string } | undefined {
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (!/^---[ \t]*\r?\n/.test(src)) return /^---[ \t]*$/.test(src) ? undefined : { ok: true, data: {}, body: src };
  const lines = src.split(/\r?\n/);
  const end = lines.findIndex((l, i) => i > 0 && (l.trimEnd() === '---' || l.trimEnd() === '...'));
  if (end < 0) return { ok: true, data: {}, body: src };
  const data: Record<string, string> = {};
  for (const line of lines.slice(1, end)) {
    if (!line.trim() || /^\s+-\s/.test(line) || /^-\s/.test(line)) continue;
    const m = /^([A-Za-z_][\w-]*):(?:\s+(.*))?$/.exec(line);
    if (!m) return undefined;
    if (!FIELDS.has(m[1]!)) continue;
    const v = (m[2] ?? '').trim();
    if (!v || /^[[{|>&*!%@`#]/.test(v) || / #/.test(v) || v.includes('\\')) return undefined;
    const q = /^(["'])(.*)\1$/.exec(v);
    if (q) {
      if (q[2]!.includes(q[1]!)) return undefined;
      data[m[1]!] = q[2]!;
    } else if (/^["']/.test(v) || /:\s/.test(v)) return undefined;
    else data[m[1]!] = v;
  }
  if (Object.hasOwn(data, 'date') || Object.hasOwn(data, 'created')) {
    // YAML reads some unquoted scalars as numbers or booleans; leave those to the parser.
    for (const k of ['date', 'created']) if (data[k] !== undefined && !/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/i.test(data[k]!)) return undefined;
  }
  return { ok: true, data, body: lines.slice(end + 1).join('\n') };
}
