import type { CsvError, Options } from 'csv-parse';
import { parse } from 'csv-parse/sync';
import { readLines } from './line-reader.js';

/** A CSV record with the line it starts on, or a malformed one that was passed over. */
export type CsvItem = { kind: 'row'; fields: string[]; line: number } | { kind: 'bad'; line: number; reason: string };

type Parsed = { fields: string[] } | { incomplete: true } | { error: string };

const STRICT: Options = { relax_column_count: true, record_delimiter: '\n', bom: false };
/** A quote inside an unquoted field (`ab"c`) is kept as a character, as exports write them. */
const QUOTES_IN_FIELDS: Options = { ...STRICT, relax_quotes: true };

/**
 * Parse one RFC 4180 record with csv-parse (quoted fields may hold commas, `""` and newlines).
 * A quote still open at the end means the record goes on on the next line.
 */
export function parseCsvRecord(text: string): Parsed {
  try {
    return { fields: one(text, STRICT) };
  } catch (err) {
    let e = err as CsvError;
    if (e.code === 'INVALID_OPENING_QUOTE') {
      try {
        return { fields: one(text, QUOTES_IN_FIELDS) };
      } catch (again) {
        e = again as CsvError;
      }
    }
    if (e.code === 'CSV_QUOTE_NOT_CLOSED') return { incomplete: true };
    return { error: reason(e, text) };
  }
}

function one(text: string, options: Options): string[] {
  const records = parse(text, options) as string[][];
  return records[0] ?? [''];
}

/** csv-parse's error as the short reason a skip report gives. */
function reason(e: CsvError, text: string): string {
  if (e.code === 'CSV_INVALID_CLOSING_QUOTE') {
    // csv-parse names the offending byte; the character is the one after a quote that starts with it.
    const byte = /got "(.)" at line/su.exec(e.message)?.[1]?.charCodeAt(0);
    const ch = byte === undefined ? undefined : [...text.matchAll(/"([^",\n])/gu)].map((m) => m[1]!).find((c) => Buffer.from(c)[0] === byte);
    return `unexpected ${ch ? JSON.stringify(ch) : 'character'} after a closing quote`;
  }
  return e.message.split(':')[0]!.trim();
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
