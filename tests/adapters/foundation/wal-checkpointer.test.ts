import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteDb } from '../../../src/db/sqlite-db.js';

let dir: string;
const opened: SqliteDb[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kith-wal-'));
});
afterEach(async () => {
  for (const db of opened.splice(0)) await db.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(name: string): Promise<SqliteDb> {
  const db = new SqliteDb(join(dir, name));
  opened.push(db);
  await db.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)');
  return db;
}

/** 10 rounds of 30 small transactions (a 2 KB row each), with a pause after each round. */
async function writeRounds(db: SqliteDb, pauseMs: number): Promise<void> {
  for (let round = 0; round < 10; round++) {
    for (let i = 0; i < 30; i++) await db.tx((q) => q.run('INSERT INTO t (v) VALUES (?)', [Buffer.alloc(2048, round)]));
    await new Promise((r) => setTimeout(r, pauseMs));
  }
}

const walBytes = (name: string) => statSync(join(dir, `${name}-wal`)).size;

describe('WAL checkpoints in a background thread', () => {
  it('keeps the log short while commits go on, and every row stays readable', async () => {
    // Without it the log only grows (the autocheckpoint is set high for bulk work).
    const plain = await open('plain.db');
    await writeRounds(plain, 60);
    const grown = walBytes('plain.db');

    const db = await open('bg.db');
    const ckpt = db.checkpointInBackground({ everyMs: 20 })!;
    expect(ckpt).toBeDefined();
    await writeRounds(db, 60);
    // Each pause lets the thread copy the log; the next commit then starts it from the top.
    expect(walBytes('bg.db')).toBeLessThan(grown / 3);
    // Eventually all of the log is in the database file.
    let s = await ckpt.stats();
    for (let i = 0; i < 100 && !(s.frames > 0 && s.copied === s.frames); i++) {
      await new Promise((r) => setTimeout(r, 20));
      s = await ckpt.stats();
    }
    expect(s.copied).toBe(s.frames);
    expect(s.failures).toBe(0);
    await db.close();
    // A fresh connection reads everything that was written.
    const check = new Database(join(dir, 'bg.db'), { readonly: true });
    expect((check.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n).toBe(300);
    check.close();
  });

  it('restarts the log under a steady stream of writes from two connections, so it does not grow with them', async () => {
    // Two connections (two processes) each commit every ~2 ms: the log is never idle for long.
    const stream = async (a: SqliteDb, b: SqliteDb) => {
      for (let i = 0; i < 150; i++) {
        await Promise.all([a, b].map((db) => db.tx((q) => q.run('INSERT INTO t (v) VALUES (?)', [Buffer.alloc(2048, i)]))));
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    const plain = await open('steady-plain.db');
    const plainOther = new SqliteDb(join(dir, 'steady-plain.db'));
    opened.push(plainOther);
    await stream(plain, plainOther);
    const grown = walBytes('steady-plain.db');
    const db = await open('steady.db');
    const other = new SqliteDb(join(dir, 'steady.db'));
    opened.push(other);
    const ckpt = db.checkpointInBackground({ everyMs: 20, restartFrames: 50 })!;
    await stream(db, other);
    expect(walBytes('steady.db')).toBeLessThan(grown / 2);
    expect((await ckpt.stats()).restarts).toBeGreaterThan(0);
  });

  it('one thread per database however often it is asked; none for :memory:; closing the database ends it', async () => {
    const db = await open('once.db');
    const first = db.checkpointInBackground({ everyMs: 20 });
    expect(db.checkpointInBackground({ everyMs: 20 })).toBe(first);
    const mem = new SqliteDb(':memory:');
    expect(mem.checkpointInBackground()).toBeUndefined();
    await mem.close();
    await db.close();
    // The thread has ended: it answers nothing more.
    expect(await first!.stats()).toEqual({ frames: 0, copied: 0, restarts: 0, failures: 0 });
  });
});
