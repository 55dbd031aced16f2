import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkSourcePath, unreadable } from '../common/source-path.js';
import type { ParseInput, SourceEvent, SourceParser } from '../source-event.js';
import { splitNote } from './front-matter.js';
import { mapNote } from './note.mapper.js';
import { noteInfo, VaultIndex, type NoteInfo } from './vault-index.js';

export interface VaultOptions {
  /** Folder (at any depth) whose notes are people's pages. */
  peopleFolder?: string;
}

/**
 * An Obsidian-style vault: every `*.md` below the path, skipping dot folders and files
 * (`.obsidian/`, `.trash/`, `.git/`). Two passes: the first indexes which notes are people's
 * pages (see vault-index.ts for the rule), the second maps each note. Notes are read one at a
 * time; nothing but the small index is held. No cursor: a vault is rescanned in full and each
 * note keeps its relative path as externalId, so an edited note replaces its interactions.
 */
export function createVaultParser(options: VaultOptions = {}): SourceParser {
  const peopleFolder = options.peopleFolder ?? 'People';
  return {
    type: 'vault',
    async *parse({ path }: ParseInput): AsyncGenerator<SourceEvent> {
      await checkSourcePath(path, ['directory']);
      const notes: NoteInfo[] = [];
      for await (const rel of markdownFiles(path)) {
        const split = splitNote(await readNote(join(path, rel)));
        if (split.ok) notes.push(noteInfo(rel, split.data, peopleFolder));
      }
      const index = new VaultIndex(notes, peopleFolder);
      for await (const rel of markdownFiles(path)) {
        const file = join(path, rel);
        const text = await readNote(file);
        const mtimeMs = Math.round((await stat(file)).mtimeMs);
        yield mapNote({ rel, file, note: splitNote(text), mtimeMs, index });
      }
    },
  };
}

export const parser: SourceParser = createVaultParser();

/** Vault-relative `/` paths of Markdown notes, in sorted order. */
async function* markdownFiles(root: string, dir = ''): AsyncGenerator<string> {
  let entries: Dirent[];
  try {
    entries = await readdir(join(root, dir), { withFileTypes: true });
  } catch (err) {
    throw unreadable(join(root, dir), err);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) yield* markdownFiles(root, rel);
    else if (e.isFile() && /\.md$/i.test(e.name)) yield rel;
  }
}

async function readNote(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw unreadable(file, err);
  }
}
