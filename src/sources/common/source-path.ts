import { stat } from 'node:fs/promises';
import { InvalidInputError, NotFoundError } from '../../errors.js';

export type PathKind = 'file' | 'directory';

/**
 * Check a configured source path before parsing, so a missing or unreadable export fails its
 * step with a message that names the path instead of an fs stack trace.
 * `expect` lists the kinds the source accepts; the kind found is returned.
 */
export async function checkSourcePath(path: string, expect: readonly PathKind[]): Promise<PathKind> {
  let kind: PathKind;
  try {
    const s = await stat(path);
    kind = s.isDirectory() ? 'directory' : 'file';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new NotFoundError(`source path not found: ${path}`, code, { cause: err });
    throw new InvalidInputError(`source path unreadable (${code ?? 'error'}): ${path}`, code, { cause: err });
  }
  if (!expect.includes(kind)) {
    throw new InvalidInputError(`source path is a ${kind}, expected a ${expect.join(' or ')}: ${path}`, 'wrong_kind');
  }
  return kind;
}

/** Wrap an fs error raised while reading inside a source, naming the file. */
export function unreadable(path: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new NotFoundError(`source file not found: ${path}`, code, { cause: err });
  return new InvalidInputError(`source file unreadable (${code ?? (err as Error)?.message ?? 'error'}): ${path}`, code, { cause: err });
}

/** First `max` characters of a text, whitespace collapsed: the snippet stored with an interaction. */
export function snippetOf(text: string | null | undefined, max = 200): string | undefined {
  if (!text) return undefined;
  const flat = text.replace(/\s+/g, ' ').trim();
  if (!flat) return undefined;
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
