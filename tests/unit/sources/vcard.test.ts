import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parser } from '../../../src/sources/vcard/vcard.parser.js';
import type { SourceEvent } from '../../../src/sources/source-event.js';

const FIXTURE = join(import.meta.dirname, '../../fixtures/sources/vcard/nasty.vcf');

async function collect(src: AsyncIterable<SourceEvent>): Promise<SourceEvent[]> {
  const out: SourceEvent[] = [];
  for await (const e of src) out.push(e);
  return out;
}
const hashId = expect.stringMatching(/^vcard:[0-9a-f]{32}$/);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kith-vcard-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('vcard parser', () => {
  it('maps 2.1/3.0/4.0 cards with folding, quoted-printable and groups exactly', async () => {
    const c = { kind: 'contact', sourceType: 'vcard' };
    expect(await collect(parser.parse({ path: FIXTURE }))).toEqual([
      {
        ...c,
        externalId: '8A1B6C1E-0001-4D5A-9C1F-ADA000000001',
        name: 'Ada Lovelace',
        emails: ['ada@example.com', 'ada.lovelace@example.org'],
        phones: ['+1 (555) 010-1001', '+44 20 7946 0001'],
        company: 'Analytical Engines Ltd',
        jobTitle: 'Head of Research',
        handles: ['https://www.linkedin.com/in/ada-lovelace-123'],
        timestamp: Date.UTC(2024, 0, 2, 3, 4, 5),
      },
      { ...c, externalId: hashId, name: "O'Neil, Pat", emails: ['pat@example.com'], phones: ['+1-555-010-1005'], timestamp: Date.UTC(2024, 1, 15, 12) },
      { ...c, externalId: hashId, name: 'Zoë Müller', emails: ['zoe.muller@example.org'], phones: ['+33 6 12 34 56 78'], company: 'Café Lumière' },
      { ...c, externalId: hashId, name: 'Bob Stone', emails: [], phones: ['555-010-1002'] },
      { kind: 'skipped', file: FIXTURE, line: 45, reason: 'vCard has no name, email or phone' },
      { kind: 'skipped', file: FIXTURE, line: 50, reason: 'text outside BEGIN:VCARD … END:VCARD' },
      { ...c, externalId: hashId, emails: ['lonely@example.com'], phones: [] },
      { kind: 'skipped', file: FIXTURE, line: 55, reason: 'vCard without END:VCARD' },
      { ...c, externalId: hashId, name: 'Jane Doe', emails: ['jane@example.net'], phones: [], jobTitle: 'Editor' },
    ]);
  });

  it('gives identical, distinct ids when parsed twice', async () => {
    const a = await collect(parser.parse({ path: FIXTURE }));
    expect(await collect(parser.parse({ path: FIXTURE }))).toEqual(a);
    const ids = a.flatMap((e) => (e.kind === 'contact' ? [e.externalId] : []));
    expect(new Set(ids).size).toBe(6);
  });

  it('reports a card cut off at the end of the file', async () => {
    const path = join(dir, 'cut.vcf');
    writeFileSync(path, 'BEGIN:VCARD\nFN:A\nEND:VCARD\nBEGIN:VCARD\nFN:B\n');
    const evs = await collect(parser.parse({ path }));
    expect(evs.map((e) => (e.kind === 'contact' ? e.name : e.kind === 'skipped' ? `${e.line}:${e.reason}` : ''))).toEqual(['A', '4:vCard without END:VCARD']);
  });

  it('throws an error naming a missing path', async () => {
    const path = join(dir, 'contacts.vcf');
    await expect(collect(parser.parse({ path }))).rejects.toThrow(path);
  });
});
