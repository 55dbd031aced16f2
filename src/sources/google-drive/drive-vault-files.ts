import { type Dirent } from 'node:fs';
import { open, readdir, rm, rmdir } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { unreadable } from '../common/source-path.js';
import { KEYS } from './drive-document.js';

/** A file this source wrote, as its front matter records it. */
export interface WrittenFile {
  /** Path under the `into` folder, with `/`. */
  rel: string;
  /** The configured source that wrote it. */
  sourceId: string | undefined;
  modified: string | undefined;
  hash: string | undefined;
}

/** A written file found in the folder, with the Drive file it holds. */
export interface ScannedFile extends WrittenFile {
  fileId: string;
}

const quoted = (v: string | undefined) => (v === undefined ? undefined : v.startsWith('"') ? (JSON.parse(v) as string) : v);

/** The Drive keys of a file's front matter (read from its first 4 KB); undefined when another source wrote it. */
export async function readWrittenHead(file: string): Promise<{ fileId: string; sourceId?: string; modified?: string; hash?: string } | undefined> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const head = buf.toString('utf8', 0, bytesRead);
    if (!head.startsWith('---\n')) return undefined;
    const end = head.indexOf('\n---', 3);
    const fm = end < 0 ? head : head.slice(0, end);
    const value = (k: string) => new RegExp(`^${k}: (.+)$`, 'm').exec(fm)?.[1]?.trim();
    if (value(KEYS.source) !== 'google-drive') return undefined;
    const fileId = quoted(value(KEYS.id));
    if (!fileId) return undefined;
    const modified = quoted(value(KEYS.modified));
    const hash = value(KEYS.hash);
    const sourceId = quoted(value(KEYS.sourceId));
    return { fileId, ...(sourceId ? { sourceId } : {}), ...(modified ? { modified } : {}), ...(hash ? { hash } : {}) };
  } catch {
    return undefined;
  } finally {
    await fh.close();
  }
}

/**
 * What Drive sources wrote under `into` earlier: read back from the files themselves (their
 * front matter), so the folder is its own record and a file deleted by hand is simply written
 * again.
 */
export async function scanWritten(into: string): Promise<ScannedFile[]> {
  const out: ScannedFile[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw unreadable(dir, err);
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile() && e.name.toLowerCase().endsWith('.md')) {
        const head = await readWrittenHead(full);
        if (head) out.push({ fileId: head.fileId, sourceId: head.sourceId, rel: relative(into, full).split(sep).join('/'), modified: head.modified, hash: head.hash });
      }
    }
  };
  await walk(into);
  return out;
}

/** Remove a written file, and the folders it leaves empty up to `into`. */
export async function removeWritten(into: string, rel: string): Promise<void> {
  const file = join(into, ...rel.split('/'));
  await rm(file, { force: true });
  for (let dir = dirname(file); dir.startsWith(into + sep); dir = dirname(dir)) {
    try {
      await rmdir(dir);
    } catch {
      return; // not empty (or gone): stop
    }
  }
}
