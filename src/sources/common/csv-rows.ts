import { readLines } from './line-reader.js';

/** A CSV record with the line it starts on, or a malformed one that was passed over. */
export type CsvItem = { kind: 'row'; fields: string[]; line: number } | { kind: 'bad'; line: number; reason: string };

type Parsed = { fields: string[] } | { incomplete: true } | { error: string };

/** Parse one RFC 4180 record (quoted fields may hold commas, `""` and newlines). */
export function parseCsvRecord(text: string): Parsed {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) return { incomplete: true };
        value += text.slice(i, q);
        if (text[q + 1] === '"') {
          value += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i >= text.length) return { fields };
      if (text[i] !== ',') return { error: `unexpected ${JSON.stringify(text[i])} after a closing quote` };
      i++;
    } else {
      const c = text.indexOf(',', i);
      // An unquoted field never spans lines: a newline here is part of a bad record.
      const end = c < 0 ? text.length : c;
      fields.push(text.slice(i, end));
      if (c < 0) return { fields };
      i = c + 1;
    }
  }
}

export interface CsvReadOptions {
  /** First line to read (1-based), e.g. after LinkedIn's "Notes:" preamble. */
  fromLine?: number;
  /** A quoted field still open after this many lines is declared unclosed. */
  maxRecordLines?: number;
}

/**
 * Stream CSV records line by line with their start line numbers. A record whose quote never
 * closes is reported as bad at its first line and parsing resumes on the line after it, so one
 * stray quote cannot swallow the rest of the file. Blank lines are skipped; a UTF-8 BOM is removed.
 */
export async function* readCsvRows(path: string, opts: CsvReadOptions = {}): AsyncGenerator<CsvItem> {
  const fromLine = opts.fromLine ?? 1;
  const maxLines = opts.maxRecordLines ?? 500;
  let pending: Array<{ text: string; line: number }> = [];
  const replay: Array<{ text: string; line: number }> = [];

  function* close(): Generator<CsvItem> {
    // Quote never closed: report the record's first line, re-read the lines after it.
    yield { kind: 'bad', line: pending[0]!.line, reason: 'malformed CSV record: quoted field never closed' };
    replay.unshift(...pending.slice(1));
    pending = [];
  }
  function* feed(text: string, line: number): Generator<CsvItem> {
    if (text === '' && pending.length === 0) return;
    pending.push({ text, line });
    const start = pending[0]!.line;
    const r = parseCsvRecord(pending.map((p) => p.text).join('\n'));
    if ('incomplete' in r) {
      if (pending.length >= maxLines) yield* close();
      return;
    }
    pending = [];
    if ('fields' in r) yield { kind: 'row', fields: r.fields, line: start };
    else yield { kind: 'bad', line: start, reason: `malformed CSV record: ${r.error}` };
  }
  function* drain(): Generator<CsvItem> {
    while (replay.length > 0) {
      const r = replay.shift()!;
      yield* feed(r.text, r.line);
    }
  }

  let first = true;
  for await (const l of readLines(path)) {
    if (l.line < fromLine) continue;
    let text = l.text;
    if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    first = false;
    yield* feed(text, l.line);
    yield* drain();
  }
  while (pending.length > 0) {
    yield* close();
    yield* drain();
  }
}

/** Column lookup by header name (trimmed, case-insensitive). */
export function headerIndex(header: string[]): (name: string) => number {
  const map = new Map<string, number>();
  header.forEach((h, i) => {
    const k = h.trim().toLowerCase();
    if (!map.has(k)) map.set(k, i);
  });
  return (name) => map.get(name.toLowerCase()) ?? -1;
}
