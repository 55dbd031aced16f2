import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CursorInvalidError } from '../../../src/errors.js';
import { chatNameOf, createWhatsAppParser, parser } from '../../../src/sources/whatsapp/whatsapp.parser.js';
import { fallbackOrder, localTime, matchHeader, orderHint } from '../../../src/sources/whatsapp/line-format.js';
import type { InteractionEvent, SourceEvent } from '../../../src/sources/source-event.js';

const FIX = join(import.meta.dirname, '../../fixtures/sources/whatsapp');
const ANDROID = join(FIX, 'WhatsApp Chat with Book Club.txt');
const IOS_DIR = join(FIX, 'WhatsApp Chat - Zoë Müller');

async function collect(src: AsyncIterable<SourceEvent>): Promise<SourceEvent[]> {
  const out: SourceEvent[] = [];
  for await (const e of src) out.push(e);
  return out;
}
const messages = (evs: SourceEvent[]) => evs.filter((e): e is InteractionEvent => e.kind === 'interaction');
const ids = (evs: SourceEvent[]) => messages(evs).map((e) => e.externalId);
const lastCursor = (evs: SourceEvent[]) => {
  const c = evs.filter((e) => e.kind === 'cursor').at(-1);
  if (!c || c.kind !== 'cursor') throw new Error('no cursor');
  return c.cursor;
};
const local = (y: number, mo: number, d: number, h: number, mi: number, s = 0) => new Date(y, mo - 1, d, h, mi, s).getTime();

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kith-wa-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('whatsapp parser', () => {
  it('parses an Android group export (month-first, 12h, notices, media, deleted, edited)', async () => {
    const evs = await collect(parser.parse({ path: ANDROID }));
    const ada = { name: 'Ada Lovelace' };
    const bob = { name: 'Bob Stone' };
    const phone = { phone: '+1 555-010-7788' };
    const me = { name: 'Me Myself' };
    const base = { kind: 'interaction', sourceType: 'whatsapp', title: 'WhatsApp: Book Club', conversationKey: 'whatsapp:Book Club' };
    const id = expect.stringMatching(/^whatsapp:[0-9a-f]{32}$/);
    expect(evs.filter((e) => e.kind !== 'cursor')).toEqual([
      { ...base, externalId: id, timestamp: local(2024, 1, 2, 9, 5), from: ada, participants: [bob, phone, me], snippet: 'Welcome all! First pick: "Middlemarch" by George Eliot Thoughts?' },
      { ...base, externalId: id, timestamp: local(2024, 1, 2, 9, 5), from: ada, participants: [bob, phone, me], snippet: '(media)' },
      { ...base, externalId: id, timestamp: local(2024, 1, 2, 21, 6), from: bob, participants: [ada, phone, me], snippet: 'Sounds good: count me in' },
      { ...base, externalId: id, timestamp: local(2024, 1, 2, 21, 6), from: phone, participants: [ada, bob, me], snippet: '(message deleted)' },
      { ...base, externalId: id, timestamp: local(2024, 1, 13, 0, 15), from: me, participants: [ada, bob, phone], snippet: 'Late reply, sorry' },
      { ...base, externalId: id, timestamp: local(2024, 1, 13, 0, 15), from: me, participants: [ada, bob, phone], snippet: 'two in the same minute' },
      { ...base, externalId: id, timestamp: local(2024, 1, 13, 0, 15), from: me, participants: [ada, bob, phone], snippet: 'two in the same minute' },
      { kind: 'skipped', file: ANDROID, line: 14, reason: 'line starts with a date in an unknown format' },
      { ...base, externalId: id, timestamp: local(2024, 1, 15, 8, 30), from: ada, participants: [bob, phone, me], snippet: 'I added the reading list to the doc' },
    ]);
    expect(new Set(ids(evs)).size).toBe(8);
  });

  it('parses an iOS export folder (day-first, seconds, U+200E notices, impossible date skipped)', async () => {
    const evs = await collect(parser.parse({ path: IOS_DIR }));
    const file = join(IOS_DIR, '_chat.txt');
    const zoe = { name: 'Zoë Müller' };
    const me = { name: 'Me Myself' };
    const rows = evs.filter((e) => e.kind !== 'cursor').map((e) => (e.kind === 'interaction' ? [e.timestamp, e.from, e.participants, e.snippet, e.conversationKey] : e));
    expect(rows).toEqual([
      [local(2024, 1, 2, 18, 30, 12), zoe, [me], 'Salut! Are you around on the 14th?', 'whatsapp:Zoë Müller'],
      [local(2024, 1, 2, 18, 31, 40), me, [zoe], "Yes — let's meet at the café", 'whatsapp:Zoë Müller'],
      [local(2024, 1, 2, 18, 32, 1), zoe, [me], '(media)', 'whatsapp:Zoë Müller'],
      [local(2024, 1, 14, 9, 0, 0), me, [zoe], '(message deleted)', 'whatsapp:Zoë Müller'],
      [local(2024, 1, 14, 9, 0, 5), zoe, [me], 'See you at 7', 'whatsapp:Zoë Müller'],
      { kind: 'skipped', file, line: 8, reason: 'impossible date or time for DMY order' },
      [local(2024, 1, 15, 7, 45, 0), zoe, [me], '(media)', 'whatsapp:Zoë Müller'],
    ]);
  });

  it('gives identical ids when parsed twice, and an edit keeps the id', async () => {
    const a = await collect(parser.parse({ path: ANDROID }));
    expect(await collect(parser.parse({ path: ANDROID }))).toEqual(a);
    const path = join(dir, 'WhatsApp Chat with Book Club.txt');
    writeFileSync(path, readFileSync(ANDROID, 'utf8').replace('Late reply, sorry <This message was edited>', 'Late reply'));
    expect(ids(await collect(parser.parse({ path })))).toEqual(ids(a));
  });

  it('resumes from a cursor: only appended messages, same ids as a full parse', async () => {
    const path = join(dir, 'WhatsApp Chat with Book Club.txt');
    copyFileSync(ANDROID, path);
    const first = await collect(parser.parse({ path }));
    expect(messages(await collect(parser.parse({ path, cursor: lastCursor(first) })))).toEqual([]);

    // Same minute and sender as the last message: the ordinal must continue across the resume.
    appendFileSync(path, '1/15/24, 8:30\u202fAM - Ada Lovelace: one more\nline two\n1/16/24, 7:00\u202fPM - Bob Stone: late\n');
    const resumed = await collect(parser.parse({ path, cursor: lastCursor(first) }));
    const full = await collect(parser.parse({ path }));
    expect(messages(resumed).map((e) => e.snippet)).toEqual(['one more line two', 'late']);
    expect(ids(resumed)).toEqual(ids(full).slice(-2));
    expect(new Set(ids(full)).size).toBe(ids(full).length);

    // A replaced (not appended) file refuses the cursor: collection imports it from the start.
    writeFileSync(path, readFileSync(path, 'utf8').replace('Welcome all!', 'Welcome, all!'));
    await expect(collect(parser.parse({ path, cursor: lastCursor(resumed) }))).rejects.toThrow(CursorInvalidError);
    expect(ids(await collect(parser.parse({ path })))).toEqual(ids(full));
  });

  it('re-reads an unterminated last message with the same id when it grows', async () => {
    const path = join(dir, 'chat.txt');
    writeFileSync(path, '[01/02/2024, 10:00:00] Ada: hi\n[01/02/2024, 10:00:30] Ada: hel');
    const first = await collect(parser.parse({ path }));
    appendFileSync(path, 'lo there\n[01/02/2024, 10:01:00] Bob: yo\n');
    const second = await collect(parser.parse({ path, cursor: lastCursor(first) }));
    expect(messages(second).map((e) => e.snippet)).toEqual(['hello there', 'yo']);
    expect(ids(second)[0]).toBe(ids(first)[1]);
  });

  it('emits intermediate cursors that resume exactly', async () => {
    const path = join(dir, 'chat.txt');
    const lines = Array.from({ length: 9 }, (_, i) => `[0${i + 1}/02/2024, 10:00:00] ${i % 2 ? 'Ada' : 'Bob'}: m${i}\n`);
    writeFileSync(path, lines.join(''));
    const evs = await collect(createWhatsAppParser({ cursorEvery: 4 }).parse({ path }));
    const cursors = evs.filter((e) => e.kind === 'cursor');
    expect(cursors).toHaveLength(3);
    const mid = cursors[1]!.kind === 'cursor' ? cursors[1]!.cursor : '';
    expect(messages(await collect(parser.parse({ path, cursor: mid }))).map((e) => e.snippet)).toEqual(['m8']);
  });

  it('throws an error naming a missing path', async () => {
    const path = join(dir, 'WhatsApp Chat with Nobody.txt');
    await expect(collect(parser.parse({ path }))).rejects.toThrow(path);
  });
});

describe('whatsapp line formats', () => {
  it('reads the timestamp variants', () => {
    const t = (line: string, order: 'dmy' | 'mdy' | 'ymd') => localTime(matchHeader(line)!, order)!.key;
    expect(t('12/31/23, 9:41 PM - A: x', 'mdy')).toBe('2023-12-31T21:41:00');
    expect(t('[31/12/2023, 21:41:05] A: x', 'dmy')).toBe('2023-12-31T21:41:05');
    expect(t('31.12.23, 21:41 - A: x', 'dmy')).toBe('2023-12-31T21:41:00');
    expect(t('\u200e[31/12/23, 9:41:05\u202fp.m.] A: x', 'dmy')).toBe('2023-12-31T21:41:05');
    expect(t('2023-12-31, 12:05 am - A: x', 'ymd')).toBe('2023-12-31T00:05:00');
    expect(matchHeader('just a continuation line')).toBeNull();
    expect(localTime(matchHeader('13/13/23, 10:00 - A: x')!, 'dmy')).toBeNull();
  });

  it('decides day/month order from a value > 12, else by clock style', () => {
    expect(orderHint(matchHeader('13/1/24, 10:00 - A: x')!)).toBe('dmy');
    expect(orderHint(matchHeader('1/13/24, 10:00 - A: x')!)).toBe('mdy');
    expect(orderHint(matchHeader('1/2/24, 10:00 - A: x')!)).toBeUndefined();
    expect(fallbackOrder(matchHeader('1/2/24, 10:00 PM - A: x')!)).toBe('mdy');
    expect(fallbackOrder(matchHeader('1/2/24, 10:00 pm - A: x')!)).toBe('dmy');
    expect(fallbackOrder(matchHeader('[01/02/2024, 10:00:00] A: x')!)).toBe('dmy');
  });

  it('names the chat after the export file or folder', () => {
    expect(chatNameOf('/x/WhatsApp Chat with Ada (1).txt')).toBe('Ada');
    expect(chatNameOf('/x/WhatsApp Chat - Trip/_chat.txt')).toBe('Trip');
    expect(chatNameOf('/x/family.txt')).toBe('family');
  });
});
