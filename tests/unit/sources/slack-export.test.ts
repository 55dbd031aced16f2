import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidInputError, NotFoundError } from '../../../src/errors.js';
import { parser } from '../../../src/sources/slack-export/slack-export.parser.js';
import type { SourceEvent } from '../../../src/sources/source-event.js';

const EXAMPLES = join(import.meta.dirname, '../../../examples/exports');
const FIX = join(import.meta.dirname, '../../fixtures/sources/slack-export');

async function collect(path: string): Promise<SourceEvent[]> {
  const out: SourceEvent[] = [];
  for await (const e of parser.parse({ path })) out.push(e);
  return out;
}

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

const self = { handle: 'U0SELF', name: 'Sam Rivera', email: 'me@example.com' };
const ada = { handle: 'U0ADA', name: 'Ada Lovelace', email: 'ada@analytical.example' };
const grace = { handle: 'U0GRACE', name: 'Grace Hopper', email: 'grace@example.org' };
const charles = { handle: 'U0CHARLES', name: 'Charles Babbage' };
const general = 'Slack #general';

describe('slack-export parser', () => {
  it('yields members as contacts and conversations as interactions', async () => {
    const events = await collect(FIX);
    expect(events.filter((e) => e.kind === 'contact')).toEqual([
      { kind: 'contact', sourceType: 'slack-export', externalId: 'U0SELF', name: 'Sam Rivera', emails: ['me@example.com'], phones: [], handles: ['U0SELF'], jobTitle: 'Founder' },
      { kind: 'contact', sourceType: 'slack-export', externalId: 'U0ADA', name: 'Ada Lovelace', emails: ['ada@analytical.example'], phones: ['+44 20 7946 0001'], handles: ['U0ADA'], jobTitle: 'Analyst' },
      { kind: 'contact', sourceType: 'slack-export', externalId: 'U0GRACE', name: 'Grace Hopper', emails: ['grace@example.org'], phones: [], handles: ['U0GRACE'] },
      // Deactivated accounts are still people; bots and Slackbot are not.
      { kind: 'contact', sourceType: 'slack-export', externalId: 'U0CHARLES', name: 'Charles Babbage', emails: [], phones: [], handles: ['U0CHARLES'] },
    ]);
    expect(events.filter((e) => e.kind === 'interaction')).toEqual([
      { kind: 'interaction', sourceType: 'slack', externalId: 'C0GENERAL:1709649000.123456', timestamp: 1709649000123, title: general, snippet: 'Kickoff notes are up, @Grace Hopper please review the doc', conversationKey: 'C0GENERAL', from: ada, participants: [self, grace, charles] },
      // Thread replies: same channel conversation, the thread kept in the id; an edit keeps the id.
      { kind: 'interaction', sourceType: 'slack', externalId: 'C0GENERAL:1709649000.123456/1709649100.000200', timestamp: 1709649100000, title: `${general} · thread`, snippet: 'Looks good & thorough', conversationKey: 'C0GENERAL', from: grace, participants: [self, ada, charles] },
      { kind: 'interaction', sourceType: 'slack', externalId: 'C0GENERAL:1709649000.123456/1709649200.000300', timestamp: 1709649200000, title: `${general} · thread`, snippet: 'Agreed', conversationKey: 'C0GENERAL', from: self, participants: [ada, grace, charles] },
      { kind: 'interaction', sourceType: 'slack', externalId: 'C0GENERAL:1709649000.123456/1709712200.000300', timestamp: 1709712200000, title: `${general} · thread`, snippet: 'Also sending to channel: ship it', conversationKey: 'C0GENERAL', from: charles, participants: [self, ada, grace] },
      { kind: 'interaction', sourceType: 'slack', externalId: 'D0ADASELF:1709805600.000100', timestamp: 1709805600000, title: 'Slack DM · Sam Rivera, Ada Lovelace', snippet: 'Coffee tomorrow? #general is too noisy', conversationKey: 'D0ADASELF', from: self, participants: [ada] },
      { kind: 'interaction', sourceType: 'slack', externalId: 'D0ADASELF:1709805660.000200', timestamp: 1709805660000, title: 'Slack DM · Sam Rivera, Ada Lovelace', snippet: 'Sure, 9:00', conversationKey: 'D0ADASELF', from: ada, participants: [self] },
      // A channel folder missing from channels.json (partial export) is still read.
      { kind: 'interaction', sourceType: 'slack', externalId: 'design-crit:1709802000.000100', timestamp: 1709802000000, title: 'Slack #design-crit', snippet: 'Mockups for review :art:', conversationKey: 'design-crit', from: grace, participants: [] },
    ]);
    const g6 = join(FIX, 'general', '2024-03-06.json');
    expect(events.filter((e) => e.kind === 'skipped')).toEqual([
      { kind: 'skipped', file: join(FIX, 'users.json'), reason: 'user 7: no id' },
      { kind: 'skipped', file: g6, reason: 'message 4 (ts 1709712300.000400): no user' },
      { kind: 'skipped', file: g6, reason: "message 5 (ts yesterday): ts 'yesterday' is not a Slack timestamp" },
      { kind: 'skipped', file: g6, reason: 'message 6: not an object' },
      { kind: 'skipped', file: join(FIX, 'random', '2024-03-05.json'), reason: expect.stringMatching(/^malformed JSON: /) },
    ]);
  });

  it('gives the same ids on re-import', async () => {
    const ids = (evs: SourceEvent[]) => evs.flatMap((e) => (e.kind === 'interaction' || e.kind === 'contact' ? [e.externalId] : []));
    const first = ids(await collect(FIX));
    expect(ids(await collect(FIX))).toEqual(first);
    expect(new Set(first).size).toBe(first.length);
  });

  it('imports a newer export with more days: only the new messages have new ids', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kith-slack-'));
    dirs.push(dir);
    cpSync(FIX, dir, { recursive: true });
    const ids = async () => (await collect(dir)).flatMap((e) => (e.kind === 'interaction' ? [e.externalId] : []));
    const before = await ids();
    writeFileSync(join(dir, 'random', '2024-03-05.json'), JSON.stringify([{ type: 'message', text: 'fixed file', user: 'U0ADA', ts: '1709649000.000100' }]));
    writeFileSync(join(dir, 'general', '2024-03-08.json'), JSON.stringify([{ type: 'message', text: 'new day', user: 'U0GRACE', ts: '1709892000.000100' }]));
    const after = await ids();
    expect(after.filter((id) => !before.includes(id)).sort()).toEqual(['C0GENERAL:1709892000.000100', 'C0RANDOM:1709649000.000100']);
    expect(before.every((id) => after.includes(id))).toBe(true);
  });

  it('fails with the path for a missing folder or a folder that is not an export', async () => {
    const missing = join(tmpdir(), 'kith-no-such-slack-export');
    await expect(collect(missing)).rejects.toThrow(NotFoundError);
    await expect(collect(missing)).rejects.toThrow(missing);
    const dir = mkdtempSync(join(tmpdir(), 'kith-slack-'));
    dirs.push(dir);
    await expect(collect(dir)).rejects.toThrow(InvalidInputError);
    await expect(collect(dir)).rejects.toThrow(dir);
    await expect(collect(join(FIX, 'users.json'))).rejects.toThrow(join(FIX, 'users.json'));
  });

  it('parses the sample export in examples/ cleanly', async () => {
    const events = await collect(join(EXAMPLES, 'slack-export'));
    const count = (k: string) => events.filter((e) => e.kind === k).length;
    expect([count('contact'), count('interaction'), count('skipped')]).toEqual([4, 7, 0]);
  });
});
