import { looksLikeEmail } from '../common/participant-ref.js';
import type { ParticipantRef } from '../source-event.js';
import type { FrontMatter } from './front-matter.js';

export interface NoteInfo {
  /** Vault-relative path with `/`, including `.md`. */
  rel: string;
  name: string;
  isPerson: boolean;
  emails: string[];
  phones: string[];
}

export function basename(rel: string): string {
  return (rel.split('/').pop() ?? rel).replace(/\.md$/i, '');
}

/** Lookup key: case-insensitive and Unicode-normalised (macOS file names are often NFD, typed links NFC). */
function key(s: string): string {
  return s.normalize('NFC').toLowerCase();
}

export function strings(value: unknown): string[] {
  if (value == null) return [];
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [value];
  return list.filter((v) => typeof v === 'string' || typeof v === 'number').map((v) => String(v).trim()).filter(Boolean);
}

/** Is this path inside the people folder (a folder segment of that name, any depth)? */
export function inFolder(rel: string, folder: string): boolean {
  const dirs = rel.split('/').slice(0, -1);
  return dirs.some((d) => d.toLowerCase() === folder.toLowerCase());
}

/**
 * The person rule: a note is a person's page when it sits in the people folder (default
 * `People/`) or says so in its front matter (`type: person`, or `person` among its `tags`).
 */
export function noteInfo(rel: string, data: FrontMatter, peopleFolder: string): NoteInfo {
  const tags = strings(data.tags).map((t) => t.replace(/^#/, '').toLowerCase());
  const isPerson = inFolder(rel, peopleFolder) || String(data.type ?? '').toLowerCase() === 'person' || tags.includes('person');
  return {
    rel,
    name: basename(rel).normalize('NFC'),
    isPerson,
    emails: [...strings(data.email), ...strings(data.emails)].filter(looksLikeEmail).map((e) => e.toLowerCase()),
    phones: [...strings(data.phone), ...strings(data.phones)],
  };
}

/** Notes by path and by name, resolving links the way Obsidian does (exact path, path suffix, then name). */
export class VaultIndex {
  private readonly byPath = new Map<string, NoteInfo>();
  private readonly byName = new Map<string, NoteInfo[]>();

  constructor(
    notes: NoteInfo[],
    private readonly peopleFolder: string,
  ) {
    for (const n of notes) {
      this.byPath.set(key(n.rel.replace(/\.md$/i, '')), n);
      const k = key(n.name);
      this.byName.set(k, [...(this.byName.get(k) ?? []), n]);
    }
  }

  resolve(target: string): NoteInfo | undefined {
    const t = key(target);
    const exact = this.byPath.get(t);
    if (exact) return exact;
    const candidates = this.byName.get(basename(t)) ?? [];
    if (!t.includes('/')) return candidates.length === 1 ? candidates[0] : candidates.find((c) => c.isPerson) ?? candidates[0];
    return candidates.find((c) => key(c.rel).replace(/\.md$/, '').endsWith(`/${t}`));
  }

  /** The person a link target names, or undefined when the link is not to a person. */
  person(target: string): ParticipantRef | undefined {
    const note = this.resolve(target);
    if (note?.isPerson) return personRef(note);
    if (!note && inFolder(`${target}.md`, this.peopleFolder)) return { name: basename(target) };
    return undefined;
  }

  /** A front matter entry (`[[Ada Lovelace]]`, `ada@example.com`, `Ada <ada@example.com>`, `Ada`) as a person. */
  declared(entry: string): ParticipantRef | undefined {
    const link = /^\[\[([^\]]+)\]\]$/.exec(entry);
    if (link) {
      const target = link[1]!.split('|')[0]!.split('#')[0]!.trim();
      const note = this.resolve(target);
      return note ? personRef(note) : { name: basename(target) };
    }
    if (looksLikeEmail(entry)) return { email: entry.toLowerCase() };
    const named = /^(.+?)\s*<([^>]+@[^>]+)>$/.exec(entry);
    if (named) return { name: named[1]!.replace(/^"|"$/g, ''), email: named[2]!.toLowerCase() };
    const note = this.resolve(entry);
    return note?.isPerson ? personRef(note) : { name: entry };
  }
}

function personRef(note: NoteInfo): ParticipantRef {
  const ref: ParticipantRef = { name: note.name };
  if (note.emails[0]) ref.email = note.emails[0];
  if (note.phones[0]) ref.phone = note.phones[0];
  return ref;
}
