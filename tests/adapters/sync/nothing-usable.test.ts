import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/errors.js';
import { collectSource, sourceStateKey } from '../../../src/sync/collect-source.service.js';
import type { ConfiguredSource } from '../../../src/sync/kith-config.js';
import { readSyncState, skippedSampleOf } from '../../../src/sync/sync-state.store.js';
import { freshDb, type TestDb } from '../../support/test-env.js';

const self = { emails: ['me@example.com'], phones: [], names: [] };

/**
 * An export read from its start in which every record is malformed yields nothing usable: its
 * collection fails naming the path and the format expected, and keeps what it skipped, instead
 * of succeeding with 0 records.
 */
describe('a collection that finds no usable record at all', () => {
  let t: TestDb;
  let dir: string;
  beforeEach(async () => {
    t = await freshDb('sqlite');
    dir = mkdtempSync(join(tmpdir(), 'kith-unusable-'));
  });
  afterEach(async () => {
    await t.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a Slack export whose JSON files are all broken fails, naming the folder and the first problem', async () => {
    const path = join(dir, 'slack');
    mkdirSync(path);
    writeFileSync(join(path, 'users.json'), Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0x08, 0]));
    writeFileSync(join(path, 'channels.json'), '{"not": "a list"}');
    const source = { id: 'slack', type: 'slack-export', path } as ConfiguredSource;
    const err = await collectSource(t.db, source, self).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(new RegExp(`^no usable record in ${path} \\(slack-export: Slack workspace export\\): all 2 records were malformed \\(first: ${join(path, 'users.json')}.*: malformed JSON`));
    const state = await readSyncState(t.db, sourceStateKey('slack'));
    expect(Number(state?.last_skipped)).toBe(2);
    expect(skippedSampleOf(state).map((s) => s.file)).toEqual([join(path, 'users.json'), join(path, 'channels.json')]);
  });

  it('an address book whose every card is unusable fails', async () => {
    const path = join(dir, 'contacts.vcf');
    writeFileSync(path, 'BEGIN:VCARD\r\nVERSION:3.0\r\nNOTE:nobody\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nEND:VCARD\r\n');
    const source = { id: 'cards', type: 'vcard', path } as ConfiguredSource;
    await expect(collectSource(t.db, source, self)).rejects.toThrow(
      `no usable record in ${path} (vcard: address book (.vcf)): all 2 records were malformed (first: ${path} line 1: vCard has no name, email or phone)`,
    );
  });

  it('one usable record is enough, and an empty export is no error', async () => {
    const path = join(dir, 'contacts.vcf');
    writeFileSync(path, 'BEGIN:VCARD\r\nVERSION:3.0\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada\r\nEND:VCARD\r\n');
    const source = { id: 'cards', type: 'vcard', path } as ConfiguredSource;
    const out = await collectSource(t.db, source, self);
    expect(out.result).toMatchObject({ contacts: 1, skipped: 1 });
    writeFileSync(path, '');
    expect((await collectSource(t.db, source, self)).result).toMatchObject({ events: 0, skipped: 0 });
    expect(Number((await readSyncState(t.db, sourceStateKey('cards')))?.last_skipped)).toBe(0);
  });

  it('a resumed read that meets only malformed new lines goes on (the export itself was usable)', async () => {
    const path = join(dir, 'WhatsApp Chat with Ada.txt');
    writeFileSync(path, '12/03/2024, 09:15 - Ada: hello\n');
    const source = { id: 'ada', type: 'whatsapp', path } as ConfiguredSource;
    await collectSource(t.db, source, self);
    writeFileSync(path, '12/03/2024, 09:15 - Ada: hello\n45/45/2024, 09:16 - Ada: impossible date\n');
    const out = await collectSource(t.db, source, self);
    expect(out.result).toMatchObject({ events: 0, skipped: 1 });
    expect(out.result.resumedFrom).not.toBeNull();
  });
});
