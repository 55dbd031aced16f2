import { open } from 'node:fs/promises';
import { InvalidInputError } from '../../errors.js';
import { unreadable } from './source-path.js';

/** How much of a file is read to judge what it is. */
const HEAD_BYTES = 64 * 1024;
/** Share of control characters (other than tab, CR, LF, FF) above which text is binary. */
const CONTROL_SHARE = 0.05;

/** The start of a file, enough to tell whether it is the text format a source expects. */
export interface FileHead {
  /** No byte other than white space (or a BOM): an empty export, not an error. */
  blank: boolean;
  /** What it looks like when it is not text: 'binary content', 'UTF-16 text'; null for text. */
  binary: string | null;
  /**
   * The first non-blank lines of the head (at most `maxLines`), BOM removed, CR stripped; also
   * for binary content, where a format's first line may still be found before the binary part.
   */
  lines: string[];
}

/**
 * Read the first 64 KB of a file: whether it is blank, binary (NUL bytes or many control
 * characters) or UTF-16, and its first non-blank lines. Parsers call it before streaming, so a
 * file that is not their format fails at once, naming what was found.
 */
export async function readHead(path: string, maxLines = 20): Promise<FileHead> {
  let buf: Buffer;
  try {
    const fh = await open(path, 'r');
    try {
      const b = Buffer.alloc(HEAD_BYTES);
      const { bytesRead } = await fh.read(b, 0, HEAD_BYTES, 0);
      buf = b.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw unreadable(path, err);
  }
  const utf16 = (buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff);
  const text = buf.toString('utf8').replace(/^\ufeff/, '');
  if (!utf16 && text.trim() === '') return { blank: true, binary: null, lines: [] };
  let control = 0;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (c === 0) {
      control = buf.length;
      break;
    }
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) control++;
  }
  const binary = utf16 ? 'UTF-16 text (Kith reads UTF-8: export or save it as UTF-8)' : control > buf.length * CONTROL_SHARE ? 'binary content' : null;
  const lines: string[] = [];
  for (const l of text.split('\n')) {
    const line = l.replace(/\r$/, '');
    if (line.trim() === '') continue;
    lines.push(line);
    if (lines.length >= maxLines) break;
  }
  return { blank: false, binary, lines };
}

/** What a head shows, for an error message: `binary content`, `first line "…"`. */
export function describeHead(head: FileHead): string {
  if (head.binary) return head.binary;
  const first = head.lines[0];
  if (first === undefined) return 'no text';
  const flat = first.trim().replace(/\s+/g, ' ');
  return `first line ${JSON.stringify(flat.length > 60 ? `${flat.slice(0, 59)}…` : flat)}`;
}

/**
 * The error for a file that is not the format its source reads: it names the file, the format
 * expected and what was found, and ends the step (invalid input is never retried).
 */
export function notTheFormat(path: string, expected: string, found: string): InvalidInputError {
  return new InvalidInputError(`${path} is not ${expected} (${found})`, 'format');
}
