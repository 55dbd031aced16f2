import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidInputError, NotFoundError } from '../../../src/errors.js';
import { parser } from '../../../src/sources/android-calls/android-calls.parser.js';
import type { SourceEvent } from '../../../src/sources/source-event.js';

const EXAMPLES = join(import.meta.dirname, '../../../examples/exports');
const FIX = join(import.meta.dirname, '../../fixtures/sources/android-calls');
const CALLS = join(FIX, 'calls.xml');
const SMS = join(FIX, 'sms.xml');

async function collect(path: string): Promise<SourceEvent[]> {
  const out: SourceEvent[] = [];
  for await (const e of parser.parse({ path })) out.push(e);
  return out;
}

let dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kith-calls-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

const ada = { phone: '+15552220001', name: 'Ada Lovelace' };

describe('android-calls parser', () => {
  it('turns the call log into one phone interaction per counted call', async () => {
    expect(await collect(CALLS)).toEqual([
      { kind: 'interaction', sourceType: 'phone', externalId: 'call:1709649000000:+15552220001:1', timestamp: Date.parse('2024-03-05T14:30:00Z'), title: 'Incoming call · Ada Lovelace', snippet: 'Incoming call, 1:03', conversationKey: 'phone:+15552220001', from: ada, participants: [] },
      // Unanswered outgoing call, unknown contact name, number written with spaces.
      { kind: 'interaction', sourceType: 'phone', externalId: 'call:1709652600000:+15552220003:2', timestamp: Date.parse('2024-03-05T15:30:00Z'), title: 'Outgoing call · +15552220003', conversationKey: 'phone:+15552220003', participants: [{ phone: '+15552220003' }], fromSelf: true },
      { kind: 'interaction', sourceType: 'phone', externalId: 'call:1709730000000:+15552220001:3', timestamp: Date.parse('2024-03-06T13:00:00Z'), title: 'Missed call · Ada Lovelace', conversationKey: 'phone:+15552220001', from: ada, participants: [] },
      // Blocked (type 6) and withheld-number calls are not interactions and not errors.
      { kind: 'interaction', sourceType: 'phone', externalId: 'call:1709740800000:+15552220004:4', timestamp: Date.parse('2024-03-06T16:00:00Z'), title: 'Voicemail · Katherine Johnson', snippet: 'Voicemail, 0:25', conversationKey: 'phone:+15552220004', from: { phone: '+15552220004', name: 'Katherine Johnson' }, participants: [] },
      { kind: 'skipped', file: CALLS, line: 11, reason: "call date 'yesterday' is not epoch milliseconds" },
      { kind: 'skipped', file: CALLS, line: 12, reason: 'malformed XML: Invalid attribute name' },
      { kind: 'skipped', file: CALLS, line: 13, reason: "unknown call type '9'" },
      { kind: 'interaction', sourceType: 'phone', externalId: 'call:1709820000000:+15552220001:2', timestamp: Date.parse('2024-03-07T14:00:00Z'), title: 'Outgoing call · Ada Lovelace', snippet: 'Outgoing call, 62:05', conversationKey: 'phone:+15552220001', participants: [ada], fromSelf: true },
    ]);
  });

  it('reads sms and group mms backups', async () => {
    expect(await collect(SMS)).toEqual([
      { kind: 'interaction', sourceType: 'sms', externalId: expect.stringMatching(/^sms:1709649060000:\+15552220001:1:[0-9a-f]{12}$/), timestamp: 1709649060000, title: 'SMS · Ada Lovelace', snippet: 'Call me back when you can 🙂', conversationKey: 'sms:+15552220001', from: ada, participants: [] },
      { kind: 'interaction', sourceType: 'sms', externalId: expect.stringMatching(/^sms:1709649120000:\+15552220001:2:[0-9a-f]{12}$/), timestamp: 1709649120000, title: 'SMS · Ada Lovelace', snippet: 'Will do & thanks', conversationKey: 'sms:+15552220001', participants: [ada], fromSelf: true },
      { kind: 'skipped', file: SMS, line: 6, reason: 'sms without address' },
      {
        kind: 'interaction', sourceType: 'sms', externalId: 'mms:mms-7f3a-0001', timestamp: 1709820300000, title: 'MMS · Ada Lovelace, Charles Babbage', snippet: 'Photos from the engine demo',
        conversationKey: 'sms:+15552220001,+15552220003', from: { phone: '+15552220001' },
        // Self's own number is listed by the group MMS; phase 1 removes self identifiers.
        participants: [{ phone: '+15552220003' }, { phone: '+15551234567' }],
      },
      { kind: 'interaction', sourceType: 'sms', externalId: 'mms:mms-7f3a-0002', timestamp: 1709820360000, title: 'MMS · Ada Lovelace, Charles Babbage', snippet: 'Great shots!', conversationKey: 'sms:+15552220001,+15552220003', participants: [{ phone: '+15552220001' }, { phone: '+15552220003' }], fromSelf: true },
    ]);
  });

  it('reads every backup of a folder; re-import and newer overlapping backups give the same ids', async () => {
    const dir = tempDir();
    copyFileSync(CALLS, join(dir, 'calls-20240308.xml'));
    copyFileSync(SMS, join(dir, 'sms-20240308.xml'));
    writeFileSync(join(dir, 'notes.xml'), '<plist><dict/></plist>');
    const ids = (evs: SourceEvent[]) => evs.flatMap((e) => (e.kind === 'interaction' ? [e.externalId] : []));
    const first = ids(await collect(dir));
    expect(first).toHaveLength(9);
    expect(ids(await collect(dir))).toEqual(first);

    // A later backup repeats the old calls and adds one: only that one id is new.
    const newer = readFileSync(CALLS, 'utf8').replace('</calls>', '  <call number="+15552220004" duration="10" date="1709900000000" type="1" presentation="1" contact_name="Katherine Johnson" />\n</calls>');
    writeFileSync(join(dir, 'calls-20240309.xml'), newer);
    const all = ids(await collect(dir));
    expect(new Set(all).size).toBe(first.length + 1);
    expect(all.filter((id) => !first.includes(id))).toEqual(['call:1709900000000:+15552220004:1']);
  });

  it('parses a 60,000-call backup in chunks (emoji entities across chunk boundaries)', async () => {
    const file = join(tempDir(), 'calls-big.xml');
    writeFileSync(file, '<?xml version="1.0"?>\n<calls count="60000">\n');
    const row = (i: number) => `  <call number="+1555${String(i % 10000).padStart(7, '0')}" duration="${i % 300}" date="${1700000000000 + i * 1000}" type="${(i % 3) + 1}" presentation="1" contact_name="Person &#55357;&#56898; ${i}" />\n`;
    for (let b = 0; b < 60; b++) appendFileSync(file, Array.from({ length: 1000 }, (_, k) => row(b * 1000 + k)).join(''));
    appendFileSync(file, '</calls>\n');
    let n = 0;
    for await (const e of parser.parse({ path: file })) if (e.kind === 'interaction') n += 1;
    expect(n).toBe(60000);
  });

  it('fails with the path for a missing or foreign file', async () => {
    const missing = join(tempDir(), 'calls.xml');
    await expect(collect(missing)).rejects.toThrow(NotFoundError);
    await expect(collect(missing)).rejects.toThrow(missing);
    const foreign = join(tempDir(), 'other.xml');
    writeFileSync(foreign, '<rss><channel/></rss>');
    await expect(collect(foreign)).rejects.toThrow(InvalidInputError);
    await expect(collect(foreign)).rejects.toThrow(foreign);
    const empty = join(tempDir(), 'empty.xml');
    writeFileSync(empty, '');
    await expect(collect(empty)).rejects.toThrow(empty);
  });

  it('parses the sample backup folder in examples/ cleanly', async () => {
    const events = await collect(join(EXAMPLES, 'android-calls'));
    const count = (t: string) => events.filter((e) => e.kind === 'interaction' && e.sourceType === t).length;
    expect([count('phone'), count('sms'), events.filter((e) => e.kind === 'skipped').length]).toEqual([4, 2, 0]);
  });
});
