import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parser } from '../../../src/sources/google-contacts-csv/google-contacts-csv.parser.js';
import type { SourceEvent } from '../../../src/sources/source-event.js';

const DIR = join(import.meta.dirname, '../../fixtures/sources/google-contacts-csv');
const NEW = join(DIR, 'contacts.csv');
const OLD = join(DIR, 'contacts-old.csv');

async function collect(src: AsyncIterable<SourceEvent>): Promise<SourceEvent[]> {
  const out: SourceEvent[] = [];
  for await (const e of src) out.push(e);
  return out;
}
const c = { kind: 'contact', sourceType: 'google-contacts-csv', externalId: expect.stringMatching(/^gcsv:[0-9a-f]{32}$/) };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kith-gcsv-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('google contacts csv parser', () => {
  it('reads the current header set: multi-values, multi-line notes, bad rows skipped with line', async () => {
    expect(await collect(parser.parse({ path: NEW }))).toEqual([
      {
        ...c,
        name: 'Ada Augusta Lovelace',
        emails: ['ada@example.com', 'ada.lovelace@example.org'],
        phones: ['+1 (555) 010-1001'],
        company: 'Analytical Engines Ltd',
        jobTitle: 'Head of Research',
        handles: ['https://www.linkedin.com/in/ada-lovelace-123'],
      },
      { ...c, name: "Pat O'Neil Jr.", emails: ['pat@example.com'], phones: ['+1 555 010 1005', '+1 555 010 1015'] },
      { kind: 'skipped', file: NEW, line: 7, reason: 'malformed CSV record: unexpected "n" after a closing quote' },
      { kind: 'skipped', file: NEW, line: 8, reason: 'row has no name, email or phone' },
      { ...c, name: 'Dr Yamada', emails: ['yamada@example.jp'], phones: [] },
      { kind: 'skipped', file: NEW, line: 10, reason: 'malformed CSV record: quoted field never closed' },
      { ...c, name: 'Jane Doe', emails: ['jane@example.net'], phones: [], jobTitle: 'Editor' },
    ]);
  });

  it('reads the older "Google CSV" header set', async () => {
    expect(await collect(parser.parse({ path: OLD }))).toEqual([
      { ...c, name: 'Zoë Müller', emails: ['zoe.muller@example.org'], phones: ['+33 6 12 34 56 78'], company: 'Café Lumière', jobTitle: 'Owner' },
      { ...c, name: 'André François', emails: ['andre@example.fr', 'andre.francois@example.com'], phones: [] },
    ]);
  });

  it('gives identical, distinct ids when parsed twice', async () => {
    const a = await collect(parser.parse({ path: NEW }));
    expect(await collect(parser.parse({ path: NEW }))).toEqual(a);
    const ids = a.flatMap((e) => (e.kind === 'contact' ? [e.externalId] : []));
    expect(new Set(ids).size).toBe(4);
  });

  it('fails on a CSV that is not a Google export, naming the file', async () => {
    const path = join(dir, 'outlook.csv');
    writeFileSync(path, 'Title,Company,Department\nMr,Acme,Sales\n');
    await expect(collect(parser.parse({ path }))).rejects.toThrow(`not a Google Contacts CSV (no Name and E-mail/Phone "… - Value" columns in the header): ${path}`);
  });

  it('throws an error naming a missing path', async () => {
    const path = join(dir, 'contacts.csv');
    await expect(collect(parser.parse({ path }))).rejects.toThrow(path);
  });
});
