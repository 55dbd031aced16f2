import { stat } from 'node:fs/promises';
import type { ParseInput, SourceEvent, SourceParser } from '../source-event.js';
import { CursorInvalidError } from '../../errors.js';
import { checkAppendCursor, CURSOR_PROBLEM, makeAppendCursor } from '../common/append-cursor.js';
import { type FileLine, readLineBatches } from '../common/line-reader.js';
import { describeHead, notTheFormat, readHead } from '../common/file-format.js';
import { checkSourcePath, unreadable } from '../common/source-path.js';
import { SnippetCollector } from './body-snippet.js';
import { parseHeaderBlock } from './mail-headers.js';
import type { HeaderMap } from './mail-headers.js';
import { mapMessage } from './message.mapper.js';

/** A "From " separator even without the blank line before it: `From <addr> <asctime date>`. */
const FROM_LINE = /^From \S+ +(?:[A-Z][a-z]{2} +){2}\d{1,2} +\d{1,2}:\d{2}/;
const CR = 0x0d;

/** Whether the raw line starts with "From " (checked on bytes: most lines are never decoded). */
function isFromLine(raw: Buffer): boolean {
  return raw.length >= 5 && raw[0] === 0x46 && raw[1] === 0x72 && raw[2] === 0x6f && raw[3] === 0x6d && raw[4] === 0x20;
}

export interface MboxParserOptions {
  /** Emit a CursorMark after every this many messages (and always at the end). */
  cursorEvery?: number;
  /** A header block longer than this is malformed (bounds memory per message). */
  maxHeaderLines?: number;
}

interface OpenMessage {
  offset: number;
  line: number;
  headerLines: string[];
  headers?: HeaderMap;
  snippet?: SnippetCollector;
  bad?: { line: number; reason: string };
}

/**
 * Gmail Takeout mbox, streamed as a line state machine: between messages → header block →
 * body. Only the current message's headers and a few KB of its first text/plain part are held,
 * so file size does not matter. Cursors mark message boundaries; a resumed parse checks that
 * the file was appended to (not replaced) and otherwise starts over.
 */
export function createMboxParser(opts: MboxParserOptions = {}): SourceParser {
  const every = opts.cursorEvery ?? 1000;
  const maxHeaderLines = opts.maxHeaderLines ?? 2000;

  function finish(path: string, m: OpenMessage): SourceEvent | undefined {
    if (!m.bad && !m.headers) {
      // Headers ran to the end of the message with no body.
      const parsed = parseHeaderBlock(m.headerLines);
      if (parsed.ok) m.headers = parsed.headers;
      else m.bad = { line: m.line + 1 + parsed.index, reason: parsed.reason };
    }
    if (m.bad) return { kind: 'skipped', file: path, line: m.bad.line, offset: m.offset, reason: m.bad.reason };
    const r = mapMessage(m.headers!, m.snippet?.snippet());
    if (r.kind === 'skip') return { kind: 'skipped', file: path, line: m.line, offset: m.offset, reason: r.reason };
    return r.kind === 'event' ? r.event : undefined;
  }

  async function* parse({ path, cursor }: ParseInput): AsyncGenerator<SourceEvent> {
    await checkSourcePath(path, ['file']);
    // An empty file is an empty mailbox; a file with text but no "From " separator line at all
    // (binary, a single .eml, another format) is not a mailbox and fails, naming what it holds.
    const head = await readHead(path);
    const notMbox = () => notTheFormat(path, 'an mbox file', `no "From " separator line; found ${describeHead(head)}`);
    if (head.binary && !head.lines.some((l) => l.startsWith('From '))) throw notMbox();
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (err) {
      throw unreadable(path, err);
    }
    let start = 0;
    let startLine = 1;
    if (cursor) {
      const c = await checkAppendCursor(path, cursor, size);
      if (!c.ok) throw new CursorInvalidError(`mbox cursor no longer fits ${path} (${CURSOR_PROBLEM[c.reason]})`, `cursor_${c.reason}`);
      ({ offset: start, line: startLine } = c.cursor);
    }

    let msg: OpenMessage | undefined;
    let prevBlank = true;
    let junkReported = false;
    let messages = 0;
    let count = 0;
    let endOffset = start;
    let endLine = startLine;
    let terminated = true;
    // Lines are handled synchronously a chunk at a time; what they produce waits here (cursor
    // marks as offsets, hashed into cursors after the chunk) and is yielded in order.
    const out: Array<SourceEvent | { at: number; line: number }> = [];

    const onLine = (l: FileLine): void => {
      const raw = l.raw;
      const blank = raw.length === 0 || (raw.length === 1 && raw[0] === CR);
      if (isFromLine(raw) && (prevBlank || FROM_LINE.test(l.text))) {
        if (msg) {
          const ev = finish(path, msg);
          if (ev) out.push(ev);
          if (++count % every === 0) out.push({ at: l.offset, line: l.line });
        }
        msg = { offset: l.offset, line: l.line, headerLines: [] };
        messages++;
      } else if (!msg) {
        if (!blank && l.text.trim() !== '' && !junkReported) {
          junkReported = true;
          out.push({ kind: 'skipped', file: path, line: l.line, offset: l.offset, reason: 'text before the first "From " separator line' });
        }
      } else if (!msg.headers && !msg.bad) {
        if (blank) {
          const parsed = parseHeaderBlock(msg.headerLines);
          if (parsed.ok) {
            msg.headers = parsed.headers;
            msg.snippet = new SnippetCollector(parsed.headers);
          } else msg.bad = { line: msg.line + 1 + parsed.index, reason: parsed.reason };
          msg.headerLines = [];
        } else if (msg.headerLines.length >= maxHeaderLines) {
          msg.bad = { line: l.line, reason: `header block longer than ${maxHeaderLines} lines` };
          msg.headerLines = [];
        } else msg.headerLines.push(l.text);
      } else msg.snippet?.feed(l);
      prevBlank = blank;
      endOffset = l.end;
      endLine = l.line + 1;
      terminated = l.terminated;
    };

    for await (const batch of readLineBatches(path, { start, startLine })) {
      for (const l of batch) onLine(l);
      for (const item of out) {
        if ('at' in item) yield { kind: 'cursor', file: path, cursor: await makeAppendCursor(path, item.at, item.line) };
        else yield item;
      }
      out.length = 0;
    }
    if (msg) {
      const ev = finish(path, msg);
      if (ev) yield ev;
    }
    if (messages === 0 && start === 0 && !head.blank) throw notMbox();
    // A last line without a newline may still be being written: resume at its message.
    const at = terminated || !msg ? { offset: endOffset, line: endLine } : { offset: msg.offset, line: msg.line };
    yield { kind: 'cursor', file: path, cursor: await makeAppendCursor(path, at.offset, at.line) };
  }

  return { type: 'mbox', parse };
}

export const parser: SourceParser = createMboxParser();
