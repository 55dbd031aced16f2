import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { CursorInvalidError, InvalidInputError, NotFoundError } from '../../../src/errors.js';
import { parser } from '../../../src/sources/imessage/imessage.parser.js';
import type { InteractionEvent, SourceEvent } from '../../../src/sources/source-event.js';
import { addToChatDb, attributedBody, createChatDbSchema, writeChatDb, type ChatDbSpec } from '../../fixtures/sources/imessage/chat-db-builder.js';

const EXAMPLES = join(import.meta.dirname, '../../../examples/exports');
const APPLE_EPOCH = Date.UTC(2001, 0, 1);
const ns = (iso: string) => (Date.parse(iso) - APPLE_EPOCH) * 1e6;
const sec = (iso: string) => (Date.parse(iso) - APPLE_EPOCH) / 1000;

const ADA = '+15552220001';
const GRACE = 'Grace@Example.org';
const CHARLES = '+15552220003';

const spec: ChatDbSpec = {
  chats: [
    { guid: 'iMessage;-;+15552220001', identifier: ADA, members: [ADA] },
    { guid: 'iMessage;+;chat900001', identifier: 'chat900001', displayName: 'Book club', members: [ADA, GRACE, CHARLES] },
  ],
  messages: [
    { guid: 'M-1', text: 'Lunch on Thursday?', handle: ADA, date: ns('2024-03-05T14:30:00Z'), chat: 'iMessage;-;+15552220001' },
    { guid: 'M-2', text: 'Yes!  Noon   works', handle: ADA, fromMe: true, date: ns('2024-03-05T14:31:10.250Z'), chat: 'iMessage;-;+15552220001' },
    // Tapback "Loved" on M-2: a reaction, not a message.
    { guid: 'M-3', text: 'Loved “Yes! Noon works”', handle: ADA, date: ns('2024-03-05T14:32:00Z'), associatedType: 2000, chat: 'iMessage;-;+15552220001' },
    // Edited after sending: still one message, original time.
    { guid: 'M-4', text: 'See you at noon (edited)', handle: ADA, date: ns('2024-03-05T15:00:00Z'), dateEdited: ns('2024-03-05T15:02:00Z'), chat: 'iMessage;-;+15552220001' },
    // Unsent by Ada.
    { guid: 'M-5', text: null, handle: ADA, date: ns('2024-03-05T15:05:00Z'), dateRetracted: ns('2024-03-05T15:06:00Z'), chat: 'iMessage;-;+15552220001' },
    // Newer macOS: text only in attributedBody.
    { guid: 'M-6', text: null, attributedBody: attributedBody('Running 5 min late 🏃'), handle: ADA, date: ns('2024-03-06T08:00:00Z'), chat: 'iMessage;-;+15552220001' },
    { guid: 'G-1', text: 'Next book: Middlemarch', handle: GRACE, date: ns('2024-03-07T19:00:00Z'), chat: 'iMessage;+;chat900001' },
    { guid: 'G-2', text: 'Count me in', fromMe: true, date: ns('2024-03-07T19:05:00Z'), chat: 'iMessage;+;chat900001' },
    // "Charles named the conversation": a system row.
    { guid: 'G-3', text: null, handle: CHARLES, date: ns('2024-03-07T19:06:00Z'), itemType: 2, chat: 'iMessage;+;chat900001' },
    // Incoming without a sender handle: malformed.
    { guid: 'G-4', text: 'who am I', date: ns('2024-03-07T19:07:00Z'), chat: 'iMessage;+;chat900001' },
    { guid: 'S-1', text: 'Your table is ready', handle: CHARLES, service: 'SMS', date: ns('2024-03-08T12:00:00Z') },
  ],
};

let dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kith-imessage-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

async function collect(path: string, cursor?: string): Promise<SourceEvent[]> {
  const out: SourceEvent[] = [];
  for await (const e of parser.parse({ path, cursor })) out.push(e);
  return out;
}

function fixture(s: ChatDbSpec = spec): string {
  const file = join(tempDir(), 'chat.db');
  writeChatDb(file, s).close();
  return file;
}

const ada = { phone: ADA, handle: ADA };
const grace = { email: 'grace@example.org', handle: GRACE };
const charles = { phone: CHARLES, handle: CHARLES };

describe('imessage parser', () => {
  it('maps messages, group chats, reactions, edits and unsent messages', async () => {
    const file = fixture();
    const events = await collect(file);
    const interactions = events.filter((e): e is InteractionEvent => e.kind === 'interaction');
    expect(interactions).toEqual([
      { kind: 'interaction', sourceType: 'imessage', externalId: 'M-1', timestamp: Date.parse('2024-03-05T14:30:00Z'), title: `iMessage · ${ADA}`, snippet: 'Lunch on Thursday?', conversationKey: 'iMessage;-;+15552220001', from: ada, participants: [] },
      { kind: 'interaction', sourceType: 'imessage', externalId: 'M-2', timestamp: Date.parse('2024-03-05T14:31:10.250Z'), title: `iMessage · ${ADA}`, snippet: 'Yes! Noon works', conversationKey: 'iMessage;-;+15552220001', participants: [ada], fromSelf: true },
      { kind: 'interaction', sourceType: 'imessage', externalId: 'M-4', timestamp: Date.parse('2024-03-05T15:00:00Z'), title: `iMessage · ${ADA}`, snippet: 'See you at noon (edited)', conversationKey: 'iMessage;-;+15552220001', from: ada, participants: [] },
      { kind: 'interaction', sourceType: 'imessage', externalId: 'M-6', timestamp: Date.parse('2024-03-06T08:00:00Z'), title: `iMessage · ${ADA}`, snippet: 'Running 5 min late 🏃', conversationKey: 'iMessage;-;+15552220001', from: ada, participants: [] },
      { kind: 'interaction', sourceType: 'imessage', externalId: 'G-1', timestamp: Date.parse('2024-03-07T19:00:00Z'), title: 'iMessage · Book club', snippet: 'Next book: Middlemarch', conversationKey: 'iMessage;+;chat900001', from: grace, participants: [ada, charles] },
      { kind: 'interaction', sourceType: 'imessage', externalId: 'G-2', timestamp: Date.parse('2024-03-07T19:05:00Z'), title: 'iMessage · Book club', snippet: 'Count me in', conversationKey: 'iMessage;+;chat900001', participants: [ada, grace, charles], fromSelf: true },
      { kind: 'interaction', sourceType: 'sms', externalId: 'S-1', timestamp: Date.parse('2024-03-08T12:00:00Z'), title: `SMS · ${CHARLES}`, snippet: 'Your table is ready', conversationKey: `handle:${CHARLES}`, from: charles, participants: [] },
    ]);
    expect(events.filter((e) => e.kind === 'skipped')).toEqual([{ kind: 'skipped', file, reason: 'message ROWID 10: incoming message without a sender handle' }]);
    expect(events.at(-1)).toEqual({ kind: 'cursor', file, cursor: '11' });
  });

  it('reads second-resolution dates from pre-High Sierra databases', async () => {
    const file = fixture({
      legacy: true,
      chats: [{ guid: 'SMS;-;+15552220001', identifier: ADA, members: [ADA] }],
      messages: [
        { guid: 'OLD-1', text: 'old times', handle: ADA, service: 'SMS', date: sec('2016-07-01T09:15:30Z'), chat: 'SMS;-;+15552220001' },
        { guid: 'OLD-2', text: 'reply', handle: ADA, fromMe: true, service: 'SMS', date: sec('2016-07-01T23:59:59Z'), chat: 'SMS;-;+15552220001' },
      ],
    });
    const events = (await collect(file)).filter((e): e is InteractionEvent => e.kind === 'interaction');
    expect(events.map((e) => [e.externalId, e.sourceType, new Date(e.timestamp).toISOString(), e.fromSelf ?? false])).toEqual([
      ['OLD-1', 'sms', '2016-07-01T09:15:30.000Z', false],
      ['OLD-2', 'sms', '2016-07-01T23:59:59.000Z', true],
    ]);
  });

  it('is idempotent and incremental by ROWID cursor', async () => {
    const file = fixture();
    const first = await collect(file);
    const again = await collect(file);
    const ids = (evs: SourceEvent[]) => evs.flatMap((e) => (e.kind === 'interaction' ? [e.externalId] : []));
    expect(ids(again)).toEqual(ids(first));
    const cursor = (first.at(-1) as { cursor: string }).cursor;

    const nothing = await collect(file, cursor);
    expect(nothing).toEqual([{ kind: 'cursor', file, cursor }]);

    const db = new Database(file);
    addToChatDb(db, { chats: [], messages: [{ guid: 'M-7', text: 'new one', handle: ADA, date: ns('2024-04-01T10:00:00Z'), chat: 'iMessage;-;+15552220001' }] });
    db.close();
    const delta = await collect(file, cursor);
    expect(ids(delta)).toEqual(['M-7']);
    expect(delta.at(-1)).toEqual({ kind: 'cursor', file, cursor: '12' });
  });

  it('rejects a cursor from another database', async () => {
    const file = fixture();
    await expect(collect(file, '9999')).rejects.toBeInstanceOf(CursorInvalidError);
    await expect(collect(file, 'abc')).rejects.toBeInstanceOf(CursorInvalidError);
  });

  it('never writes next to a rollback-journal chat.db', async () => {
    const file = fixture();
    const before = readFileSync(file);
    await collect(file);
    expect(readdirSync(join(file, '..'))).toEqual(['chat.db']);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('reads messages still in the WAL without touching the original folder', async () => {
    const live = join(tempDir(), 'chat.db');
    const writer = writeChatDb(live, { ...spec, wal: true, messages: [] });
    writer.pragma('wal_autocheckpoint = 0');
    addToChatDb(writer, { chats: [], messages: spec.messages });
    // What a user's ~/Library/Messages holds while Messages.app runs: db + un-checkpointed wal.
    const dir = tempDir();
    copyFileSync(live, join(dir, 'chat.db'));
    copyFileSync(`${live}-wal`, join(dir, 'chat.db-wal'));
    writer.close();
    const walBefore = readFileSync(join(dir, 'chat.db-wal'));

    const events = await collect(join(dir, 'chat.db'));
    expect(events.filter((e) => e.kind === 'interaction')).toHaveLength(7);
    expect(readdirSync(dir).sort()).toEqual(['chat.db', 'chat.db-wal']);
    expect(readFileSync(join(dir, 'chat.db-wal')).equals(walBefore)).toBe(true);
  });

  it('fails with the path for a missing, non-SQLite or non-Messages file', async () => {
    const dir = tempDir();
    const missing = join(dir, 'nope', 'chat.db');
    await expect(collect(missing)).rejects.toThrow(NotFoundError);
    await expect(collect(missing)).rejects.toThrow(missing);

    const garbage = join(dir, 'garbage.db');
    writeFileSync(garbage, Buffer.alloc(4096, 0x5a));
    await expect(collect(garbage)).rejects.toThrow(InvalidInputError);
    await expect(collect(garbage)).rejects.toThrow(garbage);

    const truncated = join(dir, 'truncated.db');
    writeFileSync(truncated, readFileSync(fixture()).subarray(0, 1024 + 512));
    await expect(collect(truncated)).rejects.toThrow(truncated);

    const other = join(dir, 'other.db');
    const db = new Database(other);
    db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)');
    db.close();
    await expect(collect(other)).rejects.toThrow(`not an iMessage chat.db (no table message): ${other}`);

    const noJoin = join(dir, 'nojoin.db');
    const db2 = new Database(noJoin);
    createChatDbSchema(db2);
    db2.exec('DROP TABLE chat_handle_join');
    db2.close();
    await expect(collect(noJoin)).rejects.toThrow(noJoin);

    await expect(collect(dir)).rejects.toThrow(dir);
  });

  it('parses the sample chat.db in examples/ cleanly', async () => {
    const events = await collect(join(EXAMPLES, 'imessage', 'chat.db'));
    const count = (t: string) => events.filter((e) => e.kind === 'interaction' && e.sourceType === t).length;
    expect([count('imessage'), count('sms'), events.filter((e) => e.kind === 'skipped').length]).toEqual([6, 1, 0]);
  });
});
