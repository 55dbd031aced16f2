import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configuredGroups, loadKithConfig, resolveOnThisHost } from '../../../src/sync/kith-config.js';

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

  it('takes an API source without a path, its own fields checked and defaulted, and names a bad one', () => {
    const c = load('sources:\n  - { type: gmail, base_url: "http://127.0.0.1:9/" }\n');
    expect(c.sources).toEqual([{ id: 'gmail', type: 'gmail', path: '', base_url: 'http://127.0.0.1:9/', user: 'me', concurrency: 10, page_size: 500, quota_units_per_s: 250 }]);
    expect(() => load('sources:\n  - { type: gmail, path: mail }\n')).toThrow(/sources\[0\]\.path.*takes no path/);
    expect(() => load('sources:\n  - { type: gmail, base_url: "ftp://x" }\n')).toThrow(/sources\[0\]\.base_url.*http\(s\) URL/);
    expect(() => load('sources:\n  - { type: gmail, quota_units_per_s: 1000 }\n')).toThrow(/sources\[0\]\.quota_units_per_s.*≤ 250/);
    expect(() => load('sources:\n  - { type: mbox }\n')).toThrow(/sources\[0\].*\.path.*is required/);
    expect(() => load('sources:\n  - { type: slack, tier: marketplace }\n')).toThrow(/sources\[0\]\.tier/);
  });
});

describe('a source entry naming its worker group', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kith-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const load = (yaml: string) => {
    writeFileSync(join(dir, 'kith.config.yaml'), yaml);
    return loadKithConfig(join(dir, 'kith.config.yaml'));
  };

  it('keeps its paths as written, to be resolved on the host that serves it; entries without a group are resolved here', () => {
    const c = load('sources:\n  - { type: mbox, path: mail.mbox, group: laptop }\n  - { type: drive-export, path: ~/Drive, into: notes, group: nas }\n  - { type: ics, path: cal.ics }\n');
    expect(c.sources).toEqual([
      { id: 'mbox', type: 'mbox', path: 'mail.mbox', group: 'laptop' },
      { id: 'drive-export', type: 'drive-export', path: '~/Drive', into: 'notes', group: 'nas' },
      { id: 'ics', type: 'ics', path: join(dir, 'cal.ics') },
    ]);
    expect(configuredGroups(c)).toEqual(['laptop', 'nas']);
  });

  it("resolves a grouped source's paths against the serving host's KITH_CONFIG folder (else its working directory) and home", () => {
    const c = load('sources:\n  - { type: drive-export, path: exports/drive, into: ~/notes, group: nas }\n  - { type: ics, path: cal.ics }\n');
    const here = resolveOnThisHost(c.sources[0]!, { KITH_CONFIG: '/srv/kith/config/kith.config.yaml' });
    expect(here).toEqual({ id: 'drive-export', type: 'drive-export', path: '/srv/kith/config/exports/drive', into: join(homedir(), 'notes'), group: 'nas' });
    expect(resolveOnThisHost(c.sources[0]!, {}).path).toBe(join(process.cwd(), 'exports/drive'));
    expect(resolveOnThisHost(c.sources[1]!, { KITH_CONFIG: '/elsewhere/kith.config.yaml' })).toBe(c.sources[1]);
  });

  it('refuses a group that is not a worker group name, naming the field and its line', () => {
    expect(() => load('self: { emails: [me@example.com] }\nsources:\n  - { type: ics, path: cal.ics }\n  - { type: mbox, path: mail.mbox, group: "My Laptop" }\n')).toThrow(
      /kith\.config\.yaml: sources\[1\]\.group \(line 4\): must be a worker group name/,
    );
    expect(() => load('sources:\n  - type: mbox\n    path: mail.mbox\n    group: 7\n')).toThrow(/sources\[0\]\.group \(line 4\)/);
  });
});
