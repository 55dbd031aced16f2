import { randomBytes } from 'node:crypto';
import { open, rename, rm, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Front-matter key holding the hash of the source a generated file was made from. */
export const HASH_KEY = 'kith_source_sha256';

export interface GeneratedMeta {
  title: string;
  sourceFile: string;
  /** Source modification time (ISO): the note's date for the vault step. */
  date: string;
  hash: string;
}

/** The Markdown file as written: front matter the vault step reads (title, date) plus our hash line. */
export function renderGenerated(meta: GeneratedMeta, markdown: string): string {
  return [
    '---',
    `title: ${JSON.stringify(meta.title)}`,
    `date: ${meta.date}`,
    'source: drive-export',
    `source_file: ${JSON.stringify(meta.sourceFile)}`,
    `${HASH_KEY}: ${meta.hash}`,
    '---',
    '',
    markdown.trim(),
    '',
  ].join('\n');
}

/** The source hash recorded in an existing generated file (read from its first 2 KB), if any. */
export async function recordedHash(file: string): Promise<string | undefined> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.alloc(2048);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const head = buf.toString('utf8', 0, bytesRead);
    if (!head.startsWith('---\n')) return undefined;
    return new RegExp(`^${HASH_KEY}: ([0-9a-f]+)$`, 'm').exec(head)?.[1];
  } finally {
    await fh.close();
  }
}

/** Write via a temp file in the same folder and rename: readers see the old file or the new one, never half. */
export async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, text, 'utf8');
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
