import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../src/errors.js';
import { exportDrive } from '../../../src/sources/drive-export/drive-export.service.js';
import { parser as vaultParser } from '../../../src/sources/vault/vault.parser.js';
import { buildDocx } from '../../fixtures/sources/drive-export/docx-builder.js';

const EXAMPLES = join(import.meta.dirname, '../../../examples/exports');
const FIX = join(import.meta.dirname, '../../fixtures/sources/drive-export');
const MTIME = new Date('2024-03-05T10:00:00Z');

let base: string;
let drive: string;
let into: string;

async function writeBudget(file: string, q1Travel = 1200): Promise<void> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Q1');
  ws.addRow(['Item', 'Amount', 'Due']);
  ws.addRow(['Travel', q1Travel, new Date('2024-03-31T00:00:00Z')]);
  ws.addRow(['Parts | tools', 300.5, new Date('2024-04-15T09:30:00Z')]);
  ws.addRow(['Total', { formula: 'B2+B3', result: q1Travel + 300.5 }]);
  const notes = wb.addWorksheet('Notes');
  notes.addRow(['Link']);
  notes.addRow([{ text: 'Supplier', hyperlink: 'https://supplier.example' }]);
  wb.addWorksheet('Empty');
  await wb.xlsx.writeFile(file);
}

beforeEach(async () => {
  base = mkdtempSync(join(tmpdir(), 'kith-drive-'));
  drive = join(base, 'Takeout', 'Drive');
  into = join(base, 'vault', 'drive');
  mkdirSync(join(drive, 'Docs'), { recursive: true });
  mkdirSync(join(drive, 'Sheets'), { recursive: true });
  writeFileSync(join(drive, 'Docs', 'Plan.docx'), buildDocx([{ text: 'Launch plan', heading: 1 }, { text: 'Owner: Ada & Grace', bold: true }, { text: 'Dates', heading: 2 }, { text: 'Ship in <March>.' }]));
  writeFileSync(join(drive, 'Docs', 'Plan.html'), '<p>same name as Plan.docx</p>');
  copyFileSync(join(FIX, 'Notes.html'), join(drive, 'Docs', 'Notes.html'));
  writeFileSync(join(drive, 'Docs', 'Corrupt.docx'), 'this is not a zip file');
  writeFileSync(join(drive, 'Docs', 'photo.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0]));
  writeFileSync(join(drive, 'Docs', '.DS_Store'), 'x');
  await writeBudget(join(drive, 'Sheets', 'Budget.xlsx'));
  copyFileSync(join(FIX, 'contacts.csv'), join(drive, 'Sheets', 'contacts.csv'));
  copyFileSync(join(FIX, 'broken.csv'), join(drive, 'Sheets', 'broken.csv'));
  // Fixed source times make the generated `date:` lines exact.
  for (const f of ['Docs/Plan.docx', 'Docs/Notes.html', 'Sheets/Budget.xlsx', 'Sheets/contacts.csv']) utimesSync(join(drive, f), MTIME, MTIME);
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const read = (rel: string) => readFileSync(join(into, rel), 'utf8');
const body = (rel: string) => read(rel).split('\n---\n\n')[1];

describe('exportDrive', () => {
  it('converts documents, sheets and CSVs to Markdown with a source-hash front matter', async () => {
    const result = await exportDrive({ path: drive, into });
    expect(result.written).toBe(4);
    expect(result.unchanged).toBe(0);
    expect(result.skipped).toEqual([
      { kind: 'skipped', file: join(drive, 'Docs', 'Corrupt.docx'), reason: expect.stringMatching(/^cannot convert \.docx: /) },
      { kind: 'skipped', file: join(drive, 'Docs', 'Plan.html'), reason: 'same Markdown name as Docs/Plan.docx' },
      { kind: 'skipped', file: join(drive, 'Docs', 'photo.jpg'), reason: "unsupported file type '.jpg'" },
      { kind: 'skipped', file: join(drive, 'Sheets', 'broken.csv'), line: 4, reason: expect.stringMatching(/^cannot convert \.csv: .*[Qq]uote/) },
    ]);
    expect(readdirSync(into, { recursive: true }).map(String).sort()).toEqual(['Docs', 'Docs/Notes.md', 'Docs/Plan.md', 'Sheets', 'Sheets/Budget.md', 'Sheets/contacts.md']);

    expect(read('Docs/Plan.md')).toMatch(/^---\ntitle: "Plan"\ndate: 2024-03-05T10:00:00.000Z\nsource: drive-export\nsource_file: "Docs\/Plan.docx"\nkith_source_sha256: [0-9a-f]{64}\n---\n\n/);
    expect(body('Docs/Plan.md')).toBe('# Launch plan\n\n**Owner: Ada & Grace**\n\n## Dates\n\nShip in <March>.\n');
    expect(body('Docs/Notes.md')).toBe(
      '# Weekly sync\n\nAttendees: Ada, Grace & Charles\n\n-   Ship the **engine**\n-   Review [the spec](https://www.google.com/url?q=https://example.com/spec)\n\nchart\n',
    );
    expect(body('Sheets/Budget.md')).toBe(
      [
        '## Q1',
        '',
        '| Item | Amount | Due |',
        '| --- | --- | --- |',
        '| Travel | 1200 | 2024-03-31 |',
        '| Parts \\| tools | 300.5 | 2024-04-15T09:30:00Z |',
        '| Total | 1500.5 |  |',
        '',
        '## Notes',
        '',
        '| Link |',
        '| --- |',
        '| [Supplier](https://supplier.example) |',
        '',
        '## Empty',
        '',
        '_(empty)_',
        '',
      ].join('\n'),
    );
    expect(body('Sheets/contacts.md')).toBe(
      [
        '| Name | Email | Notes |',
        '| --- | --- | --- |',
        '| Ada Lovelace | ada@analytical.example | Likes engines, poetry |',
        '| Grace Hopper | grace@example.org | Line one<br>line two |',
        '| Charles \\| Babbage | charles@example.net |  |',
        '',
      ].join('\n'),
    );
  });

  it('rewrites only files whose source changed', async () => {
    await exportDrive({ path: drive, into });
    const outputs = ['Docs/Plan.md', 'Docs/Notes.md', 'Sheets/Budget.md', 'Sheets/contacts.md'];
    // Written a minute ago, as far as the file system knows: a rewrite now would show in the mtime.
    const aMinuteAgo = new Date(Date.now() - 60_000);
    for (const f of outputs) utimesSync(join(into, f), aMinuteAgo, aMinuteAgo);
    const before = Object.fromEntries(outputs.map((f) => [f, statSync(join(into, f)).mtimeMs]));

    const again = await exportDrive({ path: drive, into });
    expect({ written: again.written, unchanged: again.unchanged }).toEqual({ written: 0, unchanged: 4 });

    await writeBudget(join(drive, 'Sheets', 'Budget.xlsx'), 1999);
    const third = await exportDrive({ path: drive, into });
    expect({ written: third.written, unchanged: third.unchanged }).toEqual({ written: 1, unchanged: 3 });
    expect(body('Sheets/Budget.md')).toContain('| Travel | 1999 |');
    for (const f of ['Docs/Plan.md', 'Docs/Notes.md', 'Sheets/contacts.md']) expect(statSync(join(into, f)).mtimeMs).toBe(before[f]);
    expect(readdirSync(join(into, 'Sheets')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps the last good Markdown when a source becomes unreadable', async () => {
    await exportDrive({ path: drive, into });
    const good = read('Docs/Plan.md');
    writeFileSync(join(drive, 'Docs', 'Plan.docx'), 'truncated download');
    const result = await exportDrive({ path: drive, into });
    expect(result.skipped.map((s) => s.file)).toContain(join(drive, 'Docs', 'Plan.docx'));
    expect(read('Docs/Plan.md')).toBe(good);
  });

  it('produces notes the vault step reads', async () => {
    await exportDrive({ path: drive, into });
    const titles: [string, string, number][] = [];
    for await (const e of vaultParser.parse({ path: into })) if (e.kind === 'interaction') titles.push([e.externalId, e.title, e.timestamp]);
    expect(titles).toEqual([
      ['Docs/Notes.md', 'Notes', MTIME.getTime()],
      ['Docs/Plan.md', 'Plan', MTIME.getTime()],
      ['Sheets/Budget.md', 'Budget', MTIME.getTime()],
      ['Sheets/contacts.md', 'contacts', MTIME.getTime()],
    ]);
  });

  it('fails with the path for a missing Drive folder', async () => {
    const missing = join(base, 'nope');
    await expect(exportDrive({ path: missing, into })).rejects.toThrow(NotFoundError);
    await expect(exportDrive({ path: missing, into })).rejects.toThrow(missing);
  });

  it('finds the committed Markdown of the sample Drive export in examples/ current', async () => {
    const copy = join(base, 'drive-md');
    cpSync(join(EXAMPLES, 'vault', 'drive'), copy, { recursive: true });
    const result = await exportDrive({ path: join(EXAMPLES, 'drive-export'), into: copy });
    expect(result).toEqual({ written: 0, unchanged: 4, skipped: [] });
  });
});
