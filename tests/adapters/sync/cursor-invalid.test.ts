import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COLLECTION_SOURCES } from '../../../src/sources/registry.js';
import { collectSource, type ParseThreadMode, sourceStateKey } from '../../../src/sync/collect-source.service.js';
import type { ConfiguredSource } from '../../../src/sync/kith-config.js';
import { readSyncState, saveCursor } from '../../../src/sync/sync-state.store.js';
import { freshDb, type TestDb } from '../../support/test-env.js';

const EXAMPLES = join(import.meta.dirname, '../../../examples/exports');
const self = { emails: ['me@example.com'], phones: ['+14155550100'], names: [] };

/**
 * Every source that keeps a cursor, with an export to read and a way to make its stored cursor
 * one the parser must refuse: a file rewritten (not appended to), a database replaced.
 */
const CASES: Record<string, { file: string; spoil(path: string, db: TestDb, key: string): Promise<void>; reason: RegExp }> = {
  mbox: {
    file: 'mbox/All mail Including Spam and Trash.mbox',
    async spoil(path) {
      // Same size, one byte changed before the cursor: a replaced file, not an append.
      const text = readFileSync(path, 'latin1');
      writeFileSync(path, Buffer.from(text.replace('From:', 'FROM:'), 'latin1'));
    },
    reason: /the file was replaced/,
  },
  whatsapp: {
    file: 'whatsapp/WhatsApp Chat with Book Club.txt',
    async spoil(_path, t, key) {
      await saveCursor(t.db, key, '{"v":1,"offset":"x"}');
    },
    reason: /not a cursor this parser wrote/,
  },
  imessage: {
    file: 'imessage/chat.db',
    async spoil(_path, t, key) {
      // A cursor past the last ROWID: the database was replaced or restored.
      await saveCursor(t.db, key, '999999999');
    },
    reason: /beyond the last message/,
  },
};

function captureLog() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'warn' }, stream), lines };
}

describe('an invalid cursor starts a full re-read, loudly', () => {
  let t: TestDb;
  let dir: string;
  beforeEach(async () => {
    t = await freshDb('sqlite');
    dir = mkdtempSync(join(tmpdir(), 'kith-cursor-'));
  });
  afterEach(async () => {
    await t.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  // API sources' cursors (a Gmail historyId) are refused by their provider: their own tests cover them.
  it('covers every declared file source that keeps a cursor', () => {
    expect(COLLECTION_SOURCES.filter((s) => s.kind === 'file' && s.cursor !== 'none').map((s) => s.type).sort()).toEqual(Object.keys(CASES).sort());
  });

  for (const [type, c] of Object.entries(CASES)) {
    for (const mode of ['never', 'always'] as ParseThreadMode[]) {
      it(`${type} (${mode === 'always' ? 'on a parse thread' : 'in place'}): warns, records it in sync_state, re-reads and adds no duplicate`, async () => {
        const path = join(dir, basename(c.file));
        copyFileSync(join(EXAMPLES, c.file), path);
        const source = { id: `my-${type}`, type, path } as ConfiguredSource;
        const key = sourceStateKey(source.id);

        const first = await collectSource(t.db, source, self, { parseThread: mode });
        expect(first.result.interactions.inserted).toBeGreaterThan(0);
        expect((await readSyncState(t.db, key))?.cursor).toBeTruthy();
        const before = await t.db.all('SELECT source_type, external_id, person_id FROM interactions ORDER BY source_type, external_id, person_id');

        await c.spoil(path, t, key);
        const { log, lines } = captureLog();
        const again = await collectSource(t.db, source, self, { parseThread: mode, log });

        expect(again.result.cursorInvalid).toMatch(c.reason);
        expect(again.result.interactions.inserted).toBe(0);
        expect(again.result.interactions.duplicates).toBe(first.result.interactions.inserted);
        expect(await t.db.all('SELECT source_type, external_id, person_id FROM interactions ORDER BY source_type, external_id, person_id')).toEqual(before);
        const warning = lines.find((l) => l.level === 40 && String(l.msg).includes('cursor is invalid'));
        expect(warning).toMatchObject({ source: source.id, type });
        expect(String(warning?.reason)).toMatch(c.reason);
        const state = await readSyncState(t.db, key);
        expect(state?.last_warning).toMatch(c.reason);
        expect(state?.last_warning_at).toBeGreaterThan(0);
        // The cursor now describes the file as it is: the next run resumes quietly.
        const third = await collectSource(t.db, source, self, { parseThread: mode });
        expect(third.result.cursorInvalid).toBeUndefined();
        expect(third.result.resumedFrom).toBe(state?.cursor);
      });
    }
  }
});
