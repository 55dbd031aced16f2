import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCsvRecord, readCsvRows } from '../../../src/sources/common/csv-rows.js';

describe('CSV records', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kith-csv-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('parses quoted fields, doubled quotes and quotes inside unquoted fields', () => {
    expect(parseCsvRecord('a,"b, c","say ""hi""",d"e,')).toEqual({ fields: ['a', 'b, c', 'say "hi"', 'd"e', ''] });
    expect(parseCsvRecord('a,"open')).toEqual({ incomplete: true });
    expect(parseCsvRecord('a,"x"é,b')).toEqual({ error: 'unexpected "é" after a closing quote' });
  });

  it('gives each record the line it starts on, skips a bad one and resumes after an unclosed quote', async () => {
    const file = join(dir, 'x.csv');
    writeFileSync(file, '\ufeffname,note\nAda,"two\nlines"\n\nBob,"x"y\nCy,"never closed\nDee,ok\n');
    const items = [];
    for await (const r of readCsvRows(file, { maxRecordLines: 3 })) items.push(r);
    expect(items).toEqual([
      { kind: 'row', fields: ['name', 'note'], line: 1 },
      { kind: 'row', fields: ['Ada', 'two\nlines'], line: 2 },
      { kind: 'bad', line: 5, reason: 'malformed CSV record: unexpected "y" after a closing quote' },
      { kind: 'bad', line: 6, reason: 'malformed CSV record: quoted field never closed' },
      { kind: 'row', fields: ['Dee', 'ok'], line: 7 },
    ]);
  });
});
