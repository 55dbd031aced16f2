import { createHash } from 'node:crypto';
import { createReadStream, type Dirent } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { extname, join, relative, resolve, sep } from 'node:path';
import { InvalidInputError } from '../../errors.js';
import { checkSourcePath, unreadable } from '../common/source-path.js';
import type { SkippedRecord } from '../source-event.js';
import { CONVERTER_VERSION, CONVERTERS } from './converters.js';
import { recordedHash, renderGenerated, writeAtomically } from './generated-file.js';

export interface DriveExportInput {
  /** A Google Takeout Drive folder (or any folder of documents). */
  path: string;
  /** Where the Markdown mirror goes, typically a folder inside the vault. */
  into: string;
}

export interface DriveExportResult {
  written: number;
  unchanged: number;
  skipped: SkippedRecord[];
}

/**
 * Phase 5 content sync: mirrors `path` under `into` as Markdown — .docx (mammoth → HTML →
 * turndown), .html, .xlsx (one table per sheet) and .csv (one table) — so the next vault step
 * reads documents as notes. `Docs/Plan.docx` becomes `<into>/Docs/Plan.md`. A file is
 * rewritten only when its source changed: the generated front matter records the sha256 of the
 * source bytes (and the converter version), compared before converting. Writes are atomic (temp
 * file + rename). Unsupported or unreadable documents are skipped with a reason and leave any
 * earlier output in place; generated files whose source disappeared are left alone.
 */
export async function exportDrive({ path, into }: DriveExportInput): Promise<DriveExportResult> {
  await checkSourcePath(path, ['directory']);
  const root = resolve(path);
  const out = resolve(into);
  if (out === root) throw new InvalidInputError(`drive-export 'into' must differ from its path: ${into}`, 'into');
  try {
    await mkdir(out, { recursive: true });
  } catch (err) {
    throw unreadable(out, err);
  }
  const result: DriveExportResult = { written: 0, unchanged: 0, skipped: [] };
  const claimed = new Map<string, string>();

  for await (const file of walk(root, out)) {
    const rel = relative(root, file);
    const ext = extname(file).toLowerCase();
    const convert = CONVERTERS[ext];
    if (!convert) {
      result.skipped.push({ kind: 'skipped', file, reason: `unsupported file type '${ext || '(none)'}'` });
      continue;
    }
    const relMd = `${rel.slice(0, rel.length - ext.length)}.md`;
    const target = join(out, relMd);
    const first = claimed.get(target);
    if (first) {
      result.skipped.push({ kind: 'skipped', file, reason: `same Markdown name as ${first}` });
      continue;
    }
    claimed.set(target, rel);

    try {
      const hash = await sourceHash(file);
      if ((await recordedHash(target)) === hash) {
        result.unchanged += 1;
        continue;
      }
      const markdown = await convert(file);
      const mtime = (await stat(file)).mtime;
      const title = (rel.split(sep).pop() ?? rel).slice(0, -ext.length);
      await writeAtomically(target, renderGenerated({ title, sourceFile: rel.split(sep).join('/'), date: mtime.toISOString(), hash }, markdown));
      result.written += 1;
    } catch (err) {
      const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
      const line = (err as { lines?: unknown }).lines;
      const skipped: SkippedRecord = { kind: 'skipped', file, reason: `cannot convert ${ext}: ${msg}` };
      if (typeof line === 'number') skipped.line = line;
      result.skipped.push(skipped);
    }
  }
  return result;
}

/** sha256 of the source bytes plus the converter version, streamed. */
async function sourceHash(file: string): Promise<string> {
  const h = createHash('sha256').update(`kith-drive-export/${CONVERTER_VERSION}\n`);
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Files below `dir` in sorted order, skipping dotfiles, temp files and the output folder. */
async function* walk(dir: string, out: string): AsyncGenerator<string> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw unreadable(dir, err);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name.startsWith('~$')) continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) {
      if (full !== out) yield* walk(full, out);
    } else if (e.isFile()) yield full;
  }
}
