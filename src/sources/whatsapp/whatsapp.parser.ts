import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { InteractionEvent, ParseInput, ParticipantRef, SourceEvent, SourceParser } from '../source-event.js';
import { CursorInvalidError } from '../../errors.js';
import { checkAppendCursor, CURSOR_PROBLEM, makeAppendCursor } from '../common/append-cursor.js';
import { readLines } from '../common/line-reader.js';
import { describeHead, notTheFormat, readHead } from '../common/file-format.js';
import { checkSourcePath, snippetOf, unreadable } from '../common/source-path.js';
import { stableId } from '../common/stable-id.js';
import { fallbackOrder, localTime, looksDated, matchHeader, orderHint } from './line-format.js';
import type { DateOrder, HeaderLine, LocalTime } from './line-format.js';
import { describeText, splitBody } from './message-text.js';

/** Resume state: the date order the ids were built with, recent (time, sender) ordinals. */
interface WaState {
  order: DateOrder;
  seen: Array<[string, number, number]>;
}

const MAX_SENDERS = 5000;
const MAX_TEXT = 4096;
const ORDINAL_WINDOW_MS = 2 * 3600_000;

/** "WhatsApp Chat with Ada.txt" → "Ada"; iOS "…/WhatsApp Chat - Ada/_chat.txt" → "Ada". */
export function chatNameOf(file: string): string {
  const base = basename(file).toLowerCase() === '_chat.txt' ? basename(dirname(file)) : basename(file).replace(/\.txt$/i, '');
  return base.replace(/^WhatsApp Chat (?:with|-) /i, '').replace(/ \(\d+\)$/, '').trim() || base;
}

function ref(sender: string): ParticipantRef {
  const digits = sender.replace(/\D/g, '');
  return /^\+?[\d\s().-]+$/.test(sender) && digits.length >= 7 ? { phone: sender } : { name: sender };
}

/**
 * First pass: the file's date order (a field > 12 decides), every sender in order seen, and
 * whether any line is in the export's "date, time - sender: text" form.
 */
async function prescan(file: string): Promise<{ order: DateOrder; senders: string[]; dated: boolean }> {
  let decided: DateOrder | undefined;
  let sample: HeaderLine | undefined;
  const senders = new Set<string>();
  for await (const l of readLines(file)) {
    const h = matchHeader(l.text);
    if (!h) continue;
    sample ??= h;
    decided ??= orderHint(h);
    const body = splitBody(h.rest);
    if (body.kind === 'message' && senders.size < MAX_SENDERS) senders.add(body.sender);
  }
  return { order: decided ?? fallbackOrder(sample), senders: [...senders], dated: sample !== undefined };
}

interface OpenMessage {
  line: number;
  offset: number;
  time: LocalTime;
  sender: string;
  text: string;
}

/**
 * A WhatsApp "Export chat" text file (or an unzipped iOS export folder holding `_chat.txt`).
 * Two streamed passes: the first decides day-first vs month-first and collects the senders (the
 * chat's participants), the second emits one InteractionEvent per message; a file with text but
 * no line in the export's form fails naming what it holds. Ids hash the chat,
 * the wall time as written, the sender and an ordinal — not the text, so an edit keeps its id.
 */
export function createWhatsAppParser(opts: { cursorEvery?: number } = {}): SourceParser {
  const every = opts.cursorEvery ?? 5000;

  async function* parse({ path, cursor }: ParseInput): AsyncGenerator<SourceEvent> {
    const kind = await checkSourcePath(path, ['file', 'directory']);
    const file = kind === 'directory' ? join(path, '_chat.txt') : path;
    if (kind === 'directory') await checkSourcePath(file, ['file']);
    const chat = chatNameOf(file);
    // An empty file is a chat with no messages; a file with text but not one line in the
    // export's form (binary, another format) is not a WhatsApp export and fails.
    const head = await readHead(file);
    const notWhatsApp = () => notTheFormat(file, 'a WhatsApp chat export', `no line like "12/03/2024, 09:15 - Name: text"; found ${describeHead(head)}`);
    if (head.binary && !head.lines.some((l) => matchHeader(l))) throw notWhatsApp();
    const { order, senders, dated } = await prescan(file);
    if (!dated && !head.blank) throw notWhatsApp();
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch (err) {
      throw unreadable(file, err);
    }

    let start = 0;
    let startLine = 1;
    const seen = new Map<string, { n: number; wall: number }>();
    if (cursor) {
      const c = await checkAppendCursor<WaState>(file, cursor, size);
      if (!c.ok) throw new CursorInvalidError(`whatsapp cursor no longer fits ${file} (${CURSOR_PROBLEM[c.reason]})`, `cursor_${c.reason}`);
      // A different date order would change every id: start over rather than mix.
      if (c.cursor.state?.order !== order) throw new CursorInvalidError(`whatsapp cursor was written for another date order than ${file} now has`, 'cursor_date_order');
      ({ offset: start, line: startLine } = c.cursor);
      for (const [k, n, wall] of c.cursor.state.seen ?? []) seen.set(k, { n, wall });
    }
    let maxWall = 0;
    const snapshot = (): WaState => ({
      order,
      seen: [...seen].filter(([, v]) => v.wall >= maxWall - ORDINAL_WINDOW_MS).map(([k, v]) => [k, v.n, v.wall]),
    });
    const participants = (sender: string): ParticipantRef[] => senders.filter((s) => s !== sender).map(ref);

    const toEvent = (m: OpenMessage): InteractionEvent => {
      const key = `${m.time.key}|${m.sender}`;
      const entry = seen.get(key) ?? { n: 0, wall: m.time.wallMs };
      const ordinal = entry.n++;
      seen.set(key, entry);
      maxWall = Math.max(maxWall, m.time.wallMs);
      if (seen.size > 1024) for (const [k, v] of seen) if (v.wall < maxWall - ORDINAL_WINDOW_MS) seen.delete(k);
      const ev: InteractionEvent = {
        kind: 'interaction',
        sourceType: 'whatsapp',
        externalId: stableId('whatsapp', chat, m.time.key, m.sender, ordinal),
        timestamp: m.time.epoch,
        title: `WhatsApp: ${chat}`,
        conversationKey: `whatsapp:${chat}`,
        from: ref(m.sender),
        participants: participants(m.sender),
      };
      const snippet = snippetOf(describeText(m.text).snippet);
      if (snippet) ev.snippet = snippet;
      return ev;
    };
    const skipped = (line: number, reason: string): SourceEvent => ({ kind: 'skipped', file, line, reason });

    let cur: OpenMessage | undefined;
    let dropping = false; // continuation lines of a notice or a skipped line
    let count = 0;
    let end = { offset: start, line: startLine, terminated: true };
    for await (const l of readLines(file, { start, startLine })) {
      const h = matchHeader(l.text);
      const dated = h !== null || looksDated(l.text);
      if (dated && cur) {
        yield toEvent(cur);
        cur = undefined;
        if (++count % every === 0) yield { kind: 'cursor', file, cursor: await makeAppendCursor(file, l.offset, l.line, snapshot()) };
      }
      if (h) {
        const time = localTime(h, order);
        const body = splitBody(h.rest);
        dropping = true;
        if (!time) yield skipped(l.line, `impossible date or time for ${order.toUpperCase()} order`);
        else if (body.kind === 'message') {
          cur = { line: l.line, offset: l.offset, time, sender: body.sender, text: body.text };
          dropping = false;
        }
      } else if (dated) {
        dropping = true;
        yield skipped(l.line, 'line starts with a date in an unknown format');
      } else if (cur) {
        if (cur.text.length < MAX_TEXT) cur.text += `\n${l.text}`;
      } else if (!dropping && l.text.trim() !== '') {
        dropping = true;
        yield skipped(l.line, 'text before the first dated line');
      }
      end = { offset: l.end, line: l.line + 1, terminated: l.terminated };
    }
    // An unterminated last line may still grow: resume at its message, state before it.
    let at = { offset: end.offset, line: end.line, state: undefined as WaState | undefined };
    if (cur && !end.terminated) at = { offset: cur.offset, line: cur.line, state: snapshot() };
    if (cur) yield toEvent(cur);
    yield { kind: 'cursor', file, cursor: await makeAppendCursor(file, at.offset, at.line, at.state ?? snapshot()) };
  }

  return { type: 'whatsapp', parse };
}

export const parser: SourceParser = createWhatsAppParser();
