import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CursorInvalidError } from '../../../src/errors.js';
import { createMboxParser, parser } from '../../../src/sources/mbox/mbox.parser.js';
import { parseAddressList } from '../../../src/sources/mbox/address-list.js';
import { parseMailDate } from '../../../src/sources/mbox/mail-date.js';
import type { SourceEvent } from '../../../src/sources/source-event.js';

const FIXTURE = join(import.meta.dirname, '../../fixtures/sources/mbox/nasty.mbox');

async function collect(it: AsyncIterable<SourceEvent>): Promise<SourceEvent[]> {
  const out: SourceEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}
const withoutCursors = (evs: SourceEvent[]) => evs.filter((e) => e.kind !== 'cursor');
const lastCursor = (evs: SourceEvent[]) => {
  const c = evs.filter((e) => e.kind === 'cursor').at(-1);
  if (!c || c.kind !== 'cursor') throw new Error('no cursor');
  return c.cursor;
};
const ids = (evs: SourceEvent[]) => evs.flatMap((e) => (e.kind === 'interaction' ? [e.externalId] : []));

function message(n: number, extra = ''): string {
  return [
    `From ${n}@xxx Mon Jan 08 10:00:00 +0000 2024`,
    `Message-ID: <gen.${n}@example.com>`,
    `Date: Mon, 8 Jan 2024 10:${String(n % 60).padStart(2, '0')}:00 +0000`,
    `From: Person ${n} <p${n}@example.com>`,
    'To: me@example.com',
    `Subject: message ${n}`,
    '',
    `body of ${n}`,
    extra,
    '',
  ].join('\n');
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kith-mbox-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('mbox parser', () => {
  it('maps the nasty fixture to exact events', async () => {
    const evs = withoutCursors(await collect(parser.parse({ path: FIXTURE })));
    expect(evs).toEqual([
      {
        kind: 'interaction',
        sourceType: 'gmail',
        externalId: 'CAF1=abc.001@mail.example.org',
        timestamp: Date.UTC(2024, 0, 2, 8, 5),
        title: 'Réunion planning: Réunion — Café ☕',
        conversationKey: '1789000000000000001',
        from: { email: 'zoe.muller@example.org', name: 'Zoë Müller' },
        participants: [
          { email: 'me@example.com' },
          { email: 'jane@example.net', name: 'Doe, Jane' },
          { email: 'ada@example.com' },
          { email: 'andre@example.fr', name: 'André François' },
        ],
        snippet: "Hi all, the café on Rue Oberkampf works for Thursday — let's say 7pm. From what I hear they have great coffee.",
      },
      {
        kind: 'interaction',
        sourceType: 'gmail',
        externalId: 'reply.002@example.com',
        timestamp: Date.UTC(2024, 0, 4, 1, 0),
        title: 'Re: Réunion',
        conversationKey: 'root.000@example.org',
        from: { email: 'me@example.com', name: 'Me Myself' },
        participants: [
          { email: 'ada@example.com', name: 'Ada Lovelace' },
          { email: 'yamada@example.jp', name: '山田太郎' },
        ],
        snippet: 'Thanks for the notes, see you Thursday. Best, Yamada',
        fromSelf: true,
      },
      { kind: 'skipped', file: FIXTURE, line: 44, offset: expect.any(Number), reason: 'unparsable Date header "sometime next week"' },
      { kind: 'skipped', file: FIXTURE, line: 58, offset: expect.any(Number), reason: 'malformed header line "this line is not a header"' },
      {
        kind: 'interaction',
        sourceType: 'gmail',
        externalId: expect.stringMatching(/^mbox:[0-9a-f]{32}$/),
        timestamp: Date.UTC(2024, 0, 6, 12, 0),
        title: 'No message id here',
        conversationKey: expect.stringMatching(/^mbox:/),
        from: { email: 'pat@example.com', name: "O'Neil, Pat" },
        participants: [{ email: 'me@example.com' }],
        snippet: 'Café receipts attached € 12.',
      },
    ]);
    // Offsets point at the skipped message's "From " line.
    const bytes = readFileSync(FIXTURE);
    for (const e of evs) {
      if (e.kind === 'skipped') expect(bytes.subarray(e.offset!, e.offset! + 5).toString()).toBe('From ');
    }
  });

  it('gives identical events and ids when parsed twice', async () => {
    const a = await collect(parser.parse({ path: FIXTURE }));
    const b = await collect(parser.parse({ path: FIXTURE }));
    expect(ids(a)).toHaveLength(3);
    expect(b).toEqual(a);
  });

  it('resumes from a cursor and imports only appended messages', async () => {
    const path = join(dir, 'All mail.mbox');
    copyFileSync(FIXTURE, path);
    const first = await collect(parser.parse({ path }));
    const cursor = lastCursor(first);

    const again = await collect(parser.parse({ path, cursor }));
    expect(withoutCursors(again)).toEqual([]);

    appendFileSync(path, message(1) + message(2));
    const second = await collect(parser.parse({ path, cursor }));
    expect(ids(second)).toEqual(['gen.1@example.com', 'gen.2@example.com']);

    // A replaced file of the same size is not mistaken for an append: the cursor is refused
    // (collection then reads the whole file again).
    const replaced = readFileSync(path).toString('latin1').replace('Zo=C3=AB', 'Zo=C3=AC');
    writeFileSync(path, Buffer.from(replaced, 'latin1'));
    await expect(collect(parser.parse({ path, cursor: lastCursor(second) }))).rejects.toThrow(CursorInvalidError);
    await expect(collect(parser.parse({ path, cursor: lastCursor(second) }))).rejects.toThrow(/the file was replaced/);
    const third = await collect(parser.parse({ path }));
    expect(ids(third)).toEqual([...ids(first), 'gen.1@example.com', 'gen.2@example.com']);

    // A truncated file is refused too; a garbage cursor as well.
    writeFileSync(path, message(3));
    await expect(collect(parser.parse({ path, cursor: lastCursor(third) }))).rejects.toThrow(/truncated/);
    await expect(collect(parser.parse({ path, cursor: 'not json' }))).rejects.toThrow(/not a cursor this parser wrote/);
  });

  it('emits intermediate cursors at message boundaries that resume exactly', async () => {
    const path = join(dir, 'm.mbox');
    writeFileSync(path, [1, 2, 3, 4, 5].map((n) => message(n)).join(''));
    const evs = await collect(createMboxParser({ cursorEvery: 2 }).parse({ path }));
    const cursors = evs.filter((e) => e.kind === 'cursor');
    expect(cursors).toHaveLength(3); // after 2, after 4, at the end
    const mid = cursors[0]!.kind === 'cursor' ? cursors[0]!.cursor : '';
    expect(JSON.parse(mid).line).toBe(19); // the third message's "From " line
    expect(ids(await collect(parser.parse({ path, cursor: mid })))).toEqual(['gen.3@example.com', 'gen.4@example.com', 'gen.5@example.com']);
  });

  it('re-reads an unterminated last message on the next run', async () => {
    const path = join(dir, 'm.mbox');
    writeFileSync(path, message(1) + message(2).trimEnd());
    const first = await collect(parser.parse({ path }));
    expect(ids(first)).toEqual(['gen.1@example.com', 'gen.2@example.com']);
    appendFileSync(path, '\nmore body\n\n' + message(3));
    expect(ids(await collect(parser.parse({ path, cursor: lastCursor(first) })))).toEqual(['gen.2@example.com', 'gen.3@example.com']);
  });

  it('reports text before the first separator and still imports the rest', async () => {
    const path = join(dir, 'm.mbox');
    writeFileSync(path, 'garbage line\nmore garbage\n\n' + message(1));
    const evs = withoutCursors(await collect(parser.parse({ path })));
    expect(evs[0]).toEqual({ kind: 'skipped', file: path, line: 1, offset: 0, reason: 'text before the first "From " separator line' });
    expect(ids(evs)).toEqual(['gen.1@example.com']);
  });

  it('throws an error naming a missing path', async () => {
    const path = join(dir, 'nope.mbox');
    await expect(collect(parser.parse({ path }))).rejects.toThrow(path);
  });

  it('streams a multi-MB mailbox with big attachments and a huge line in bounded time', async () => {
    const path = join(dir, 'big.mbox');
    const attachment = ('QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=' + 'A'.repeat(40) + '\n').repeat(60);
    const huge = 'x'.repeat(3 * 1024 * 1024); // one 3 MB line without a newline inside
    const parts: string[] = [];
    for (let n = 0; n < 3000; n++) parts.push(message(n, n === 1500 ? huge : attachment));
    writeFileSync(path, parts.join(''));
    const t0 = Date.now();
    let count = 0;
    for await (const e of createMboxParser({ cursorEvery: 500 }).parse({ path })) if (e.kind === 'interaction') count++;
    expect(count).toBe(3000);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });
});

describe('mail headers', () => {
  it('parses dates with zones, comments and two-digit years, and rejects impossible ones', () => {
    expect(parseMailDate('Tue, 2 Jan 2024 09:05:00 +0100 (CET)')).toBe(Date.UTC(2024, 0, 2, 8, 5));
    expect(parseMailDate('2 Jan 99 23:59 PDT')).toBe(Date.UTC(1999, 0, 3, 6, 59));
    expect(parseMailDate('Mon, 1 Jul 2024 12:00:00 -0230')).toBe(Date.UTC(2024, 6, 1, 14, 30));
    expect(parseMailDate('Fri, 31 Feb 2024 10:00:00 +0000')).toBeNull();
    expect(parseMailDate('Fri, 2 Feb 2024 25:00:00 +0000')).toBeNull();
    expect(parseMailDate('yesterday')).toBeNull();
  });

  it('parses address lists with groups, quoted commas, comments and encoded words', () => {
    expect(
      parseAddressList('"Smith, J." <J@X.com>, Team:a@x.com,=?UTF-8?B?w4lsb2RpZQ==?= <e@x.com>;, b@x.com (Bee), undisclosed-recipients:;'),
    ).toEqual([
      { email: 'j@x.com', name: 'Smith, J.' },
      { email: 'a@x.com' },
      { email: 'e@x.com', name: 'Élodie' },
      { email: 'b@x.com', name: 'Bee' },
    ]);
  });
});
