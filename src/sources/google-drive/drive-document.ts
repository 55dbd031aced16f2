import { createHash } from 'node:crypto';
import { parse as parseCsv } from 'csv-parse/sync';
import { looksLikeEmail } from '../common/participant-ref.js';
import { markdownTable } from '../drive-export/markdown-table.js';
import type { DRIVE_KINDS } from './index.js';

/** Bump when the Markdown written for the same document changes, so every file is rewritten once. */
export const DRIVE_RENDER_VERSION = 1;

export const MIME = {
  doc: 'application/vnd.google-apps.document',
  sheet: 'application/vnd.google-apps.spreadsheet',
  folder: 'application/vnd.google-apps.folder',
  text: 'text/plain',
  markdown: 'text/markdown',
} as const;

/** The file fields every listing asks for. */
export const FILE_FIELDS = 'id, name, mimeType, parents, modifiedTime, trashed, size, owners(displayName, emailAddress), lastModifyingUser(displayName, emailAddress), permissions(type, role, emailAddress, displayName)';

interface DriveUser {
  displayName?: string | null;
  emailAddress?: string | null;
}

/** A Drive file as listed (the parts read here). */
export interface DriveFile {
  id: string;
  name: string;
  mimeType: string;
  parents?: string[] | null;
  modifiedTime?: string | null;
  trashed?: boolean | null;
  size?: string | null;
  owners?: DriveUser[] | null;
  lastModifyingUser?: DriveUser | null;
  permissions?: (DriveUser & { type?: string | null; role?: string | null })[] | null;
}

type Kind = (typeof DRIVE_KINDS)[number];

const KIND_OF: Record<string, Kind> = { [MIME.doc]: 'docs', [MIME.sheet]: 'sheets', [MIME.text]: 'text', [MIME.markdown]: 'text' };

/** Text files above this are not read (Drive's export limit, applied to downloads too). */
export const MAX_TEXT_BYTES = 10 * 1024 * 1024;

/** Whether a file is one the entry reads (its kind is among `kinds`). */
export function isWanted(f: Pick<DriveFile, 'mimeType'>, kinds: readonly Kind[]): boolean {
  const k = KIND_OF[f.mimeType];
  return k !== undefined && kinds.includes(k);
}

/** The `files.list` query for the kinds an entry reads (trashed files left out). */
export function listQuery(kinds: readonly Kind[]): string {
  const mimes = Object.entries(KIND_OF)
    .filter(([, k]) => kinds.includes(k))
    .map(([m]) => `mimeType='${m}'`);
  return `trashed=false and (${mimes.join(' or ')})`;
}

/** A name as one path segment: `/` and control characters become `_` (as Takeout writes them). */
export function safeSegment(name: string): string {
  const s = [...name].map((ch) => (ch === '/' || ch === '\\' || ch.charCodeAt(0) < 0x20 ? '_' : ch)).join('').trim();
  return !s || s === '.' || s === '..' ? '_' : s.replace(/^\./, '_');
}

/**
 * The Markdown file's name, as the Drive export names it: a Doc or Sheet (Takeout's `Plan.docx`,
 * `Budget.xlsx`) becomes `Plan.md`, `Budget.md`; a text file `notes.txt` or `notes.md` becomes
 * `notes.md`. `clash`: a second document of the same name in the same folder keeps its id.
 */
export function markdownName(f: Pick<DriveFile, 'id' | 'name' | 'mimeType'>, clash = false): string {
  const base = safeSegment(f.mimeType === MIME.doc || f.mimeType === MIME.sheet ? f.name : f.name.replace(/\.(txt|md|markdown)$/i, ''));
  return clash ? `${base} (${f.id}).md` : `${base}.md`;
}

/** A document's text as the Markdown body: Docs and text files as they are, a Sheet's CSV as a table. */
export function bodyOf(f: Pick<DriveFile, 'mimeType'>, text: string): string {
  if (f.mimeType !== MIME.sheet) return text;
  const rows = parseCsv(text, { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
  return markdownTable(rows);
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const MAILTO = /\[([^\]]+)\]\(mailto:([^)\s?]+)[^)]*\)/g;

/**
 * The people a document names, as front matter `people` entries the vault source links
 * (`Name <email>` or an address): its owners and editors, who last changed it, the people
 * chips of a Doc (Markdown `[Name](mailto:…)`), and every address written in its text.
 */
export function peopleOf(f: DriveFile, body: string): string[] {
  const byEmail = new Map<string, string | undefined>();
  const add = (email: string | null | undefined, name?: string | null) => {
    const e = email?.trim().toLowerCase();
    if (!e || !looksLikeEmail(e)) return;
    const n = name?.trim() && name.trim().toLowerCase() !== e ? name.trim().replace(/[<>"]/g, '') : undefined;
    if (!byEmail.has(e) || (n && !byEmail.get(e))) byEmail.set(e, n);
  };
  for (const o of f.owners ?? []) add(o.emailAddress, o.displayName);
  for (const p of f.permissions ?? []) if (p.type === 'user' && (p.role === 'owner' || p.role === 'writer')) add(p.emailAddress, p.displayName);
  if (f.lastModifyingUser) add(f.lastModifyingUser.emailAddress, f.lastModifyingUser.displayName);
  for (const m of body.matchAll(MAILTO)) add(decodeURIComponent(m[2]!), m[1]);
  for (const m of body.matchAll(EMAIL)) add(m[0]);
  return [...byEmail].map(([e, n]) => (n ? `${n} <${e}>` : e));
}

/** Front-matter keys the source reads back from a file it wrote (kept in the first lines). */
export const KEYS = { source: 'source', sourceId: 'kith_source_id', id: 'drive_file_id', modified: 'drive_modified_time', hash: 'kith_source_sha256' } as const;

export interface WrittenMeta {
  /** The configured source that wrote it (two Drive accounts may share a folder). */
  sourceId: string;
  title: string;
  /** The document's place in Drive (`Docs/Plan`), as the Drive export's `source_file`. */
  drivePath: string;
  fileId: string;
  modifiedTime: string;
  people: string[];
}

/**
 * The Markdown file: the front matter the vault source reads (title, date, people) and the
 * Drive export's keys, then the body. The hash covers what the note says (title, place,
 * people, body), not Drive's modification time: a document saved again unchanged is not
 * rewritten.
 */
export function renderDocument(meta: WrittenMeta, body: string): { text: string; hash: string } {
  const said = [`title: ${JSON.stringify(meta.title)}`, `source_file: ${JSON.stringify(meta.drivePath)}`, ...(meta.people.length ? [`people: ${JSON.stringify(meta.people)}`] : [])];
  const text = body.trim();
  const hash = createHash('sha256').update(`kith-google-drive/${DRIVE_RENDER_VERSION}\n${said.join('\n')}\n---\n${text}`).digest('hex');
  const lines = [
    '---',
    `${KEYS.id}: ${JSON.stringify(meta.fileId)}`,
    `${KEYS.modified}: ${JSON.stringify(meta.modifiedTime)}`,
    `${KEYS.hash}: ${hash}`,
    `${KEYS.source}: google-drive`,
    `${KEYS.sourceId}: ${JSON.stringify(meta.sourceId)}`,
    `date: ${meta.modifiedTime}`,
    ...said,
    '---',
    '',
    text,
    '',
  ];
  return { text: lines.join('\n'), hash };
}
