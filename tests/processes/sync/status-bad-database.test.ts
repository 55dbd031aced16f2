import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKith } from '../../support/cli.js';

/**
 * A SQLite database that cannot be opened is one line on stderr naming the file, what is wrong
 * and which setting to check — never SQLite's bare "file is not a database" or a stack trace.
 */
describe('kith status with a database file that cannot be opened', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kith-bad-db-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const status = (env: Record<string, string>) => runKith(['status'], { KITH_DATA_DIR: join(dir, 'data'), KITH_CONFIG: join(dir, 'none.yaml'), ...env }, 60_000);
  const oneLine = (stderr: string) => {
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(stderr).not.toMatch(/^\s+at /m);
    return lines[0]!;
  };

  it('a file that is not a SQLite database', async () => {
    const path = join(dir, 'notes.db');
    writeFileSync(path, `${'Not a database, just text.\n'.repeat(200)}`);
    const r = await status({ DATABASE_URL: `sqlite:${path}` });
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toBe(`kith: ${path} is not a SQLite database (it may be another file: check DATABASE_URL)`);
  });

  it('the default database in KITH_DATA_DIR that is not one names KITH_DATA_DIR', async () => {
    const data = join(dir, 'other-data');
    mkdirSync(data);
    writeFileSync(join(data, 'kith.db'), Buffer.alloc(8192, 0x5a));
    const r = await status({ KITH_DATA_DIR: data });
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toBe(`kith: ${join(data, 'kith.db')} is not a SQLite database (it may be another file: check KITH_DATA_DIR)`);
  });

  it('a directory that does not exist is not created', async () => {
    const path = join(dir, 'no-such-dir', 'kith.db');
    const r = await status({ DATABASE_URL: `sqlite:${path}` });
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toBe(`kith: ${path} cannot be opened: its directory ${join(dir, 'no-such-dir')} does not exist (create it, or check DATABASE_URL)`);
    expect(existsSync(join(dir, 'no-such-dir'))).toBe(false);
  });

  it('a directory that cannot hold the file', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const r = await status({ DATABASE_URL: `sqlite:${join(file, 'kith.db')}` });
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toBe(`kith: ${join(file, 'kith.db')} cannot be opened: ${file} is a file, not a directory (check DATABASE_URL)`);
  });

  it('a database the process may not write to', async () => {
    // /proc refuses new files even to root, where a read-only mode would not.
    const r = await status({ DATABASE_URL: 'sqlite:/proc/kith-test.db' });
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/^kith: \/proc\/kith-test\.db cannot be opened for writing \(SQLITE_CANTOPEN: .*\) \(make it and its directory \/proc writable by this user, or check DATABASE_URL\)$/);
  });
});
