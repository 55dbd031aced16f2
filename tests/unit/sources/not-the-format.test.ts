import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/errors.js';
import { collectionSource, type CollectionSourceType } from '../../../src/sources/registry.js';
import type { SourceEvent } from '../../../src/sources/source-event.js';

async function parseAll(type: CollectionSourceType, path: string): Promise<SourceEvent[]> {
  const parser = await collectionSource(type).parser();
  const out: SourceEvent[] = [];
  for await (const e of parser.parse({ path })) out.push(e);
  return out;
}

/** Bytes no text export holds: a PNG header, NUL bytes and noise. */
const BINARY = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919) % 256))]);

/**
 * Each text format: its name in the error, a file of another text format, and a file of its
 * own format with one good record.
 */
const FORMATS: Array<{ type: CollectionSourceType; file: string; expected: RegExp; otherText: string; good: string }> = [
  {
    type: 'ics',
    file: 'calendar.ics',
    expected: /is not an iCalendar \(\.ics\) file \(no BEGIN:VCALENDAR line at its start; found/,
    otherText: 'Subject,Start Date\nLunch,2024-03-01\n',
    good: 'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n',
  },
  {
    type: 'vcard',
    file: 'contacts.vcf',
    expected: /is not a vCard \(\.vcf\) file \(no BEGIN:VCARD line; found/,
    otherText: 'Name,E-mail 1 - Value\nAda,ada@example.com\n',
    good: 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada\r\nEMAIL:ada@example.com\r\nEND:VCARD\r\n',
  },
  {
    type: 'mbox',
    file: 'mail.mbox',
    expected: /is not an mbox file \(no "From " separator line; found/,
    otherText: 'Subject: hello\nFrom: ada@example.com\n\nA single message, not a mailbox.\n',
    good: 'From ada@example.com Mon Jan  1 10:00:00 2024\nFrom: ada@example.com\nTo: me@example.com\nDate: Mon, 1 Jan 2024 10:00:00 +0000\nMessage-ID: <a@x>\nSubject: hi\n\nhello\n',
  },
  {
    type: 'whatsapp',
    file: 'WhatsApp Chat with Ada.txt',
    expected: /is not a WhatsApp chat export \(no line like "12\/03\/2024, 09:15 - Name: text"; found/,
    otherText: 'Dear diary,\nnothing happened today.\n',
    good: '12/03/2024, 09:15 - Ada: hello\n',
  },
];

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kith-format-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('a file that is not its source\'s format fails, naming the file and what it holds', () => {
  for (const f of FORMATS) {
    it(`${f.type}: binary content is refused`, async () => {
      const path = join(dir, f.file);
      writeFileSync(path, BINARY);
      const err = await parseAll(f.type, path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as Error).message).toMatch(f.expected);
      expect((err as Error).message).toContain(path);
      expect((err as Error).message).toContain('found binary content');
    });

    it(`${f.type}: text of another format is refused, quoting its first line`, async () => {
      const path = join(dir, f.file);
      writeFileSync(path, f.otherText);
      const err = await parseAll(f.type, path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as Error).message).toMatch(f.expected);
      expect((err as Error).message).toContain(`${path} is not`);
      expect((err as Error).message).toContain(`found first line ${JSON.stringify(f.otherText.split('\n')[0])}`);
    });

    it(`${f.type}: an empty or blank file is an empty export (no records, no error)`, async () => {
      for (const text of ['', '\n\n  \r\n', '\ufeff']) {
        const path = join(dir, f.file);
        writeFileSync(path, text);
        const evs = await parseAll(f.type, path);
        expect(evs.filter((e) => e.kind !== 'cursor')).toEqual([]);
      }
    });

    it(`${f.type}: a file of its format still parses`, async () => {
      const path = join(dir, f.file);
      writeFileSync(path, f.good);
      const evs = await parseAll(f.type, path);
      expect(evs.filter((e) => e.kind === 'interaction' || e.kind === 'contact')).toHaveLength(1);
    });
  }

  it('UTF-16 text is named as such, with what to do', async () => {
    const path = join(dir, 'calendar.ics');
    writeFileSync(path, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n', 'utf16le')]));
    await expect(parseAll('ics', path)).rejects.toThrow(/found UTF-16 text \(Kith reads UTF-8: export or save it as UTF-8\)/);
  });

  it('a calendar with a line of junk before BEGIN:VCALENDAR still parses', async () => {
    const path = join(dir, 'calendar.ics');
    writeFileSync(path, `X-EXPORTED-BY: something\r\n${FORMATS[0]!.good}`);
    const evs = await parseAll('ics', path);
    expect(evs.filter((e) => e.kind === 'interaction')).toHaveLength(1);
  });

  it('the formats that already checked their header refuse binary content too', async () => {
    const csv = join(dir, 'contacts.csv');
    writeFileSync(csv, BINARY);
    await expect(parseAll('google-contacts-csv', csv)).rejects.toThrow(/not a Google Contacts CSV/);
    const xml = join(dir, 'calls.xml');
    writeFileSync(xml, BINARY);
    await expect(parseAll('android-calls', xml)).rejects.toThrow(/not an SMS Backup & Restore file/);
  });
});
