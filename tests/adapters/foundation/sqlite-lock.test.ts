import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteDb } from '../../../src/db/sqlite-db.js';
import { TemporaryError } from '../../../src/errors.js';

/** Two connections to one file stand for two worker processes writing the same database. */
let dir: string;
let path: string;
let a: SqliteDb;
let b: SqliteDb;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kith-lock-'));
  path = join(dir, 'kith.db');
  a = new SqliteDb(path);
  await a.run('CREATE TABLE t (v TEXT NOT NULL)');
});
afterEach(async () => {
  await a.close();
  await b?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Start a write transaction on `db` that holds the lock until `release` is called. */
function holdLock(db: SqliteDb, value: string) {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let began!: () => void;
  const begun = new Promise<void>((r) => (began = r));
  const done = db.tx(async (q) => {
    await q.run('INSERT INTO t (v) VALUES (?)', [value]);
    began();
    await released;
  });
  return { begun, release, done };
}

describe('SQLite write lock between connections', () => {
  it.each([
    ['a transaction', (db: SqliteDb) => db.tx((q) => q.run('INSERT INTO t (v) VALUES (?)', ['second']))],
    ['a write outside a transaction', (db: SqliteDb) => db.run('INSERT INTO t (v) VALUES (?)', ['second'])],
  ])('%s waits for another connection’s write lock without blocking the event loop', async (_what, write) => {
    b = new SqliteDb(path);
    const held = holdLock(a, 'first');
    await held.begun;
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    let settled = false;
    const waiting = write(b).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 300));
    // SQLite's own busy handler would have slept through these 300 ms inside the call.
    expect(ticks).toBeGreaterThanOrEqual(10);
    expect(settled).toBe(false);
    held.release();
    await held.done;
    await waiting;
    clearInterval(ticker);
    expect((await a.all<{ v: string }>('SELECT v FROM t ORDER BY rowid')).map((r) => r.v)).toEqual(['first', 'second']);
  });

  it('gives up after lockWaitMs with a retryable error naming the file, and writes nothing', async () => {
    b = new SqliteDb(path, { lockWaitMs: 200 });
    const held = holdLock(a, 'first');
    await held.begun;
    const err = await b.tx((q) => q.run('INSERT INTO t (v) VALUES (?)', ['second'])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemporaryError);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toMatch(/locked/);
    held.release();
    await held.done;
    // The connection is usable again: its busy timeout was restored and no transaction is open.
    await b.tx((q) => q.run('INSERT INTO t (v) VALUES (?)', ['third']));
    expect((await b.all<{ v: string }>('SELECT v FROM t ORDER BY rowid')).map((r) => r.v)).toEqual(['first', 'third']);
  });

  it('a read outside a transaction sees the last commit at once, even while this connection’s own transaction is open', async () => {
    await a.run('INSERT INTO t (v) VALUES (?)', ['committed']);
    const held = holdLock(a, 'uncommitted');
    await held.begun;
    let read: string[] | undefined;
    const reading = a.all<{ v: string }>('SELECT v FROM t ORDER BY rowid').then((rows) => (read = rows.map((r) => r.v)));
    await new Promise((r) => setTimeout(r, 50));
    // Not queued behind the open transaction, and not seeing its uncommitted row.
    expect(read).toEqual(['committed']);
    held.release();
    await held.done;
    await reading;
    expect((await a.all<{ v: string }>('SELECT v FROM t ORDER BY rowid')).map((r) => r.v)).toEqual(['committed', 'uncommitted']);
  });

  it('pragmas report the writer connection’s settings', async () => {
    await a.exec('PRAGMA temp_store = FILE');
    expect(await a.get<{ temp_store: number }>('PRAGMA temp_store')).toEqual({ temp_store: 1 });
  });
});
