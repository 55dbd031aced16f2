import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CursorInvalidError } from '../../../src/errors.js';
import { formatDriveCursor, parseDriveCursor } from '../../../src/sources/google-drive/drive-cursor.js';
import { bodyOf, isWanted, listQuery, markdownName, MIME, peopleOf, renderDocument, safeSegment } from '../../../src/sources/google-drive/drive-document.js';
import { readWrittenHead } from '../../../src/sources/google-drive/drive-vault-files.js';
import { splitNote } from '../../../src/sources/vault/front-matter.js';
import { loadKithConfig } from '../../../src/sync/kith-config.js';

const doc = { id: 'd1', name: 'Plan', mimeType: MIME.doc };

describe('a Drive document as a vault note', () => {
  it('is named as the Drive export names it', () => {
    expect(markdownName(doc)).toBe('Plan.md');
    expect(markdownName({ id: 's1', name: 'Budget', mimeType: MIME.sheet })).toBe('Budget.md');
    expect(markdownName({ id: 't1', name: 'notes.txt', mimeType: MIME.text })).toBe('notes.md');
    expect(markdownName({ id: 'm1', name: 'readme.md', mimeType: MIME.markdown })).toBe('readme.md');
    expect(markdownName(doc, true)).toBe('Plan (d1).md');
    expect(safeSegment('Q1/Q2 review')).toBe('Q1_Q2 review');
    expect(safeSegment('..')).toBe('_');
    expect(safeSegment('.hidden')).toBe('_hidden');
  });

  it('lists and keeps only the kinds an entry reads', () => {
    expect(listQuery(['docs', 'sheets'])).toBe(`trashed=false and (mimeType='${MIME.doc}' or mimeType='${MIME.sheet}')`);
    expect(isWanted({ mimeType: MIME.sheet }, ['docs'])).toBe(false);
    expect(isWanted({ mimeType: MIME.markdown }, ['text'])).toBe(true);
    expect(isWanted({ mimeType: 'application/pdf' }, ['docs', 'sheets', 'text'])).toBe(false);
  });

  it("turns a Sheet's CSV into a table, quoted cells and all", () => {
    expect(bodyOf({ mimeType: MIME.sheet }, 'name,note\n"Ada","a, b"\n')).toBe('| name | note |\n| --- | --- |\n| Ada | a, b |');
    expect(bodyOf(doc, '# as is')).toBe('# as is');
  });

  it('names its owners, editors, people chips and written addresses once each, as the vault reads them', () => {
    const people = peopleOf(
      {
        ...doc,
        owners: [{ displayName: 'Me', emailAddress: 'me@example.com' }],
        permissions: [
          { type: 'user', role: 'writer', displayName: 'Ada Lovelace', emailAddress: 'Ada@Example.com' },
          { type: 'user', role: 'reader', displayName: 'Reader', emailAddress: 'reader@example.com' },
          { type: 'anyone', role: 'writer' },
        ],
      },
      'Ask [Grace Hopper](mailto:grace@example.com) and ada@example.com; cc bob@example.org.',
    );
    expect(people).toEqual(['Me <me@example.com>', 'Ada Lovelace <ada@example.com>', 'Grace Hopper <grace@example.com>', 'bob@example.org']);
  });

  it('renders front matter the vault parses, with a hash that ignores Drive saving an unchanged document again', () => {
    const meta = { sourceId: 'drive', title: 'Plan: "v2"', drivePath: 'Docs/Plan: "v2"', fileId: 'd1', modifiedTime: '2026-02-02T09:00:00.000Z', people: ['Ada <ada@example.com>'] };
    const a = renderDocument(meta, '\nBody\n');
    const note = splitNote(a.text);
    expect(note.ok && note.data).toMatchObject({ title: 'Plan: "v2"', source: 'google-drive', kith_source_id: 'drive', drive_file_id: 'd1', people: ['Ada <ada@example.com>'], kith_source_sha256: a.hash });
    expect(note.ok && note.body).toBe('\nBody\n');
    expect(renderDocument({ ...meta, modifiedTime: '2026-03-01T00:00:00.000Z' }, 'Body').hash).toBe(a.hash);
    expect(renderDocument(meta, 'Body!').hash).not.toBe(a.hash);
    expect(renderDocument({ ...meta, people: [] }, 'Body').hash).not.toBe(a.hash);
  });

  it('reads back what it wrote, and nothing another source wrote', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kith-drive-head-'));
    try {
      const mine = renderDocument({ sourceId: 'drive', title: 'T', drivePath: 'T', fileId: 'abc', modifiedTime: '2026-02-02T09:00:00.000Z', people: [] }, 'x');
      writeFileSync(join(dir, 'mine.md'), mine.text);
      writeFileSync(join(dir, 'other.md'), '---\ntitle: x\nsource: drive-export\nkith_source_sha256: 00\n---\nbody');
      writeFileSync(join(dir, 'plain.md'), '# no front matter');
      expect(await readWrittenHead(join(dir, 'mine.md'))).toEqual({ fileId: 'abc', sourceId: 'drive', modified: '2026-02-02T09:00:00.000Z', hash: mine.hash });
      expect(await readWrittenHead(join(dir, 'other.md'))).toBeUndefined();
      expect(await readWrittenHead(join(dir, 'plain.md'))).toBeUndefined();
      expect(await readWrittenHead(join(dir, 'missing.md'))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the Drive cursor', () => {
  it('round-trips both modes and refuses anything else as invalid', () => {
    for (const c of [{ v: 1, mode: 'full', startPageToken: '7', pageToken: 'p2' }, { v: 1, mode: 'full', startPageToken: '7' }, { v: 1, mode: 'changes', pageToken: '42' }] as const) {
      expect(parseDriveCursor(formatDriveCursor(c))).toEqual(c);
    }
    for (const bad of ['nope', '{"v":2,"mode":"changes","pageToken":"1"}', '{"v":1,"mode":"changes"}', '{"v":1,"mode":"full","pageToken":"1"}']) {
      expect(() => parseDriveCursor(bad)).toThrow(CursorInvalidError);
    }
  });
});

describe('a google-drive entry in kith.config.yaml', () => {
  const load = (yaml: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'kith-drive-config-'));
    try {
      writeFileSync(join(dir, 'kith.config.yaml'), yaml);
      return { dir, config: loadKithConfig(join(dir, 'kith.config.yaml')) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('takes no path, expands `into`, defaults its knobs, and names a bad field', () => {
    const { dir, config } = load('sources:\n  - { type: google-drive, base_url: "http://127.0.0.1:9/", into: vault/Drive }\n');
    expect(config.sources).toEqual([
      { id: 'google-drive', type: 'google-drive', path: '', base_url: 'http://127.0.0.1:9/', into: join(dir, 'vault/Drive'), kinds: ['docs', 'sheets', 'text'], doc_format: 'markdown', page_size: 100, concurrency: 4, requests_per_minute: 12000 },
    ]);
    expect(() => load('sources:\n  - { type: google-drive }\n')).toThrow(/sources\[0\]\.into.*google-drive needs `into`/);
    expect(() => load('sources:\n  - { type: google-drive, into: d, path: x }\n')).toThrow(/sources\[0\]\.path.*takes no path/);
    expect(() => load('sources:\n  - { type: google-drive, into: d, kinds: [pdf] }\n')).toThrow(/sources\[0\]\.kinds\[0\].*docs, sheets, text/);
    expect(() => load('sources:\n  - { type: google-drive, into: d, base_url: "ftp://x" }\n')).toThrow(/sources\[0\]\.base_url.*http\(s\) URL/);
    expect(() => load('sources:\n  - { type: google-drive, into: d, requests_per_minute: 20000 }\n')).toThrow(/sources\[0\]\.requests_per_minute.*≤ 12000/);
  });
});
