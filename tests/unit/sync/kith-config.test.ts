import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadKithConfig } from '../../../src/sync/kith-config.js';

describe('the sources file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kith-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const load = (yaml: string) => {
    writeFileSync(join(dir, 'kith.config.yaml'), yaml);
    return loadKithConfig(join(dir, 'kith.config.yaml'));
  };

  it('checks each entry against its source declaration and expands its path fields', () => {
    const c = load('sources:\n  - { type: mbox, path: mail.mbox }\n  - { type: mbox, path: old.mbox }\n  - { type: drive-export, path: drive, into: notes/drive }\n');
    expect(c.sources).toEqual([
      { id: 'mbox', type: 'mbox', path: join(dir, 'mail.mbox') },
      { id: 'mbox-2', type: 'mbox', path: join(dir, 'old.mbox') },
      { id: 'drive-export', type: 'drive-export', path: join(dir, 'drive'), into: join(dir, 'notes/drive') },
    ]);
  });

  it('names the file and the field of a missing or invalid value', () => {
    expect(() => load('sources:\n  - { type: drive-export, path: drive }\n')).toThrow(/kith\.config\.yaml: sources\[0\]\.into.*drive-export needs `into`/);
    expect(() => load('sources:\n  - { type: mbox, path: a }\n  - { type: drive-export, path: drive, into: "" }\n')).toThrow(/sources\[1\]\.into/);
    expect(() => load('sources:\n  - { type: fax, path: a }\n')).toThrow(/sources\[0\]\.type/);
  });
});
