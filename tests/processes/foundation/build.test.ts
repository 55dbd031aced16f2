import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript module of the bin (no type declarations)
import { builtFresh, sourceStamp } from '../../../bin/build-stamp.mjs';
import { parser as mboxParser } from '../../../src/sources/mbox/mbox.parser.js';
import type { ThreadEvent } from '../../../src/sources/parse-thread/protocol.js';
import type { parseInThread } from '../../../src/sources/parse-thread/thread-parse.js';
import type { SourceEvent } from '../../../src/sources/source-event.js';
import { runKith } from '../../support/cli.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const SRC = join(ROOT, 'src');
const MBOX = join(ROOT, 'tests/fixtures/sources/mbox/nasty.mbox');
const stamp = sourceStamp as (dir: string) => string;
const fresh = builtFresh as (src: string, dist: string) => boolean;

describe('source stamp', () => {
  it('changes when a file is edited, added, renamed or deleted, and only then', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kith-stamp-'));
    try {
      mkdirSync(join(dir, 'a'));
      writeFileSync(join(dir, 'a/one.ts'), 'export const one = 1;');
      writeFileSync(join(dir, 'two.ts'), 'export const two = 2;');
      const s0 = stamp(dir);
      expect(stamp(dir)).toBe(s0);
      const later = new Date(Date.now() + 5_000);
      utimesSync(join(dir, 'two.ts'), later, later);
      const s1 = stamp(dir);
      expect(s1).not.toBe(s0);
      renameSync(join(dir, 'a/one.ts'), join(dir, 'a/uno.ts'));
      const s2 = stamp(dir);
      expect(s2).not.toBe(s1);
      writeFileSync(join(dir, 'three.ts'), '');
      const s3 = stamp(dir);
      expect(s3).not.toBe(s2);
      rmSync(join(dir, 'three.ts'));
      expect(stamp(dir)).toBe(s2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('scripts/build.mjs', () => {
  let out: string;
  beforeAll(() => {
    // Inside the repository (in the ignored .kith/), so the compiled modules resolve node_modules.
    mkdirSync(join(ROOT, '.kith'), { recursive: true });
    out = join(mkdtempSync(join(ROOT, '.kith', 'build-test-')), 'dist');
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--out', out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  }, 60_000);
  afterAll(() => rmSync(resolve(out, '..'), { recursive: true, force: true }));

  it('compiles every module with the source layout and stamps the output as fresh', () => {
    expect(existsSync(join(out, 'cli/main.js'))).toBe(true);
    expect(existsSync(join(out, 'sources/mbox/mbox.parser.js'))).toBe(true);
    expect(existsSync(join(out, 'sources/parse-thread/parse-thread.thread.mjs'))).toBe(true);
    expect(fresh(SRC, out)).toBe(true);
    const again = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--out', out, '--if-stale'], { encoding: 'utf8' });
    expect(again.status).toBe(0);
    expect(again.stderr).not.toContain('kith build:');
  });

  it('the compiled CLI answers like the sources', async () => {
    const compiled = spawnSync(process.execPath, [join(out, 'cli/main.js'), '--help'], { encoding: 'utf8' });
    const fromSource = await runKith(['--help'], { KITH_FROM_SOURCE: '1' });
    expect(compiled.status).toBe(0);
    expect(fromSource.code).toBe(0);
    expect(compiled.stdout).toContain('Usage: kith');
    expect(compiled.stdout).toBe(fromSource.stdout);
  }, 30_000);

  it('the compiled parse thread runs without the TypeScript loader', async () => {
    const mod = (await import(pathToFileURL(join(out, 'sources/parse-thread/thread-parse.js')).href)) as { parseInThread: typeof parseInThread };
    const threaded: ThreadEvent[] = [];
    for await (const e of mod.parseInThread('mbox', { path: MBOX })) threaded.push(e);
    const inPlace: SourceEvent[] = [];
    for await (const e of mboxParser.parse({ path: MBOX })) inPlace.push(e);
    expect(threaded).toEqual(inPlace);
  });
});
