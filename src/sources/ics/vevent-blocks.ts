import { readLines } from '../common/line-reader.js';

/** A top-level component of a calendar file, as its raw (still folded) text. */
export type IcsBlock =
  | { kind: 'vevent' | 'vtimezone'; text: string; line: number; recurrenceId: boolean }
  | { kind: 'bad'; line: number; reason: string };

const MAX_BLOCK_LINES = 20_000;

/**
 * Stream the VEVENT and VTIMEZONE blocks of an .ics file with their first line numbers, so each
 * is parsed on its own and a calendar of any size never sits in memory whole. A block that never
 * ends (or is absurdly long) is reported as bad; nested components (VALARM) stay in their block.
 */
export async function* icsBlocks(path: string): AsyncGenerator<IcsBlock> {
  let cur: { kind: 'vevent' | 'vtimezone'; lines: string[]; line: number; depth: number; recurrenceId: boolean } | undefined;
  let overflow = false;
  for await (const l of readLines(path)) {
    const text = l.line === 1 ? l.text.replace(/^\ufeff/, '') : l.text;
    const upper = text.toUpperCase();
    if (!cur) {
      if (upper === 'BEGIN:VEVENT' || upper === 'BEGIN:VTIMEZONE') {
        cur = { kind: upper === 'BEGIN:VEVENT' ? 'vevent' : 'vtimezone', lines: [text], line: l.line, depth: 1, recurrenceId: false };
        overflow = false;
      }
      continue;
    }
    if (upper === 'BEGIN:VEVENT' || upper === 'BEGIN:VTIMEZONE' || upper === 'END:VCALENDAR') {
      // The open block lost its END line: report it, and start over on this line.
      yield { kind: 'bad', line: cur.line, reason: `${cur.kind.toUpperCase()} without END` };
      cur = undefined;
      if (upper !== 'END:VCALENDAR') {
        cur = { kind: upper === 'BEGIN:VEVENT' ? 'vevent' : 'vtimezone', lines: [text], line: l.line, depth: 1, recurrenceId: false };
        overflow = false;
      }
      continue;
    }
    if (upper.startsWith('BEGIN:')) cur.depth++;
    else if (upper.startsWith('END:')) cur.depth--;
    else if (cur.depth === 1 && /^RECURRENCE-ID[;:]/.test(upper)) cur.recurrenceId = true;
    if (cur.lines.length < MAX_BLOCK_LINES) cur.lines.push(text);
    else overflow = true;
    if (cur.depth === 0) {
      if (overflow) yield { kind: 'bad', line: cur.line, reason: `${cur.kind.toUpperCase()} longer than ${MAX_BLOCK_LINES} lines` };
      else yield { kind: cur.kind, text: cur.lines.join('\r\n'), line: cur.line, recurrenceId: cur.recurrenceId };
      cur = undefined;
    }
  }
  if (cur) yield { kind: 'bad', line: cur.line, reason: `${cur.kind.toUpperCase()} without END` };
}
