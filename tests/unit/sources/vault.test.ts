import { cpSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../src/errors.js';
import type { SourceEvent } from '../../../src/sources/source-event.js';
import { parseNoteDate } from '../../../src/sources/vault/front-matter.js';
import { createVaultParser, parser } from '../../../src/sources/vault/vault.parser.js';

const EXAMPLES = join(import.meta.dirname, '../../../examples/exports');
const FIX = join(import.meta.dirname, '../../fixtures/sources/vault');
const MTIME = Date.parse('2024-03-06T21:15:00Z');

let vault: string;
beforeEach(() => {
  vault = mkdtempSync(join(tmpdir(), 'kith-vault-'));
  cpSync(FIX, vault, { recursive: true });
  for (const f of ['Ideas.md', 'Journal/2024-03-06.md']) utimesSync(join(vault, f), MTIME / 1000, MTIME / 1000);
});
afterEach(() => rmSync(vault, { recursive: true, force: true }));

async function collect(path: string, p = parser): Promise<SourceEvent[]> {
  const out: SourceEvent[] = [];
  for await (const e of p.parse({ path })) out.push(e);
  return out;
}

const ada = { name: 'Ada Lovelace', email: 'ada@analytical.example' };

describe('vault parser', () => {
  it('maps notes to interactions with the people they mention, person pages to contacts', async () => {
    expect(await collect(vault)).toEqual([
      { kind: 'skipped', file: join(vault, 'Bad date.md'), line: 3, reason: "front matter date: 'next tuesday' is not a date (YYYY-MM-DD or ISO 8601)" },
      { kind: 'skipped', file: join(vault, 'Broken.md'), line: 4, reason: expect.stringMatching(/^malformed front matter: /) },
      // `type: person` outside People/ is a person page too.
      { kind: 'contact', sourceType: 'vault', externalId: 'Contacts/Katherine Johnson.md', name: 'Katherine Johnson', emails: [], phones: ['+15552220004'] },
      // Mentions nobody: still yielded, so an edit that removes the last mention is seen.
      { kind: 'interaction', sourceType: 'vault', externalId: 'Ideas.md', timestamp: MTIME, title: 'Ideas', snippet: 'Ideas - Build a better loom', conversationKey: 'Ideas.md', participants: [], fromSelf: true },
      // No front matter: file mtime; block-anchor link with alias; repeated mention counted once.
      {
        kind: 'interaction', sourceType: 'vault', externalId: 'Journal/2024-03-06.md', timestamp: MTIME, title: '2024-03-06',
        snippet: 'Called Katherine Johnson about trajectories; G. joined. Also Katherine Johnson again.', conversationKey: 'Journal/2024-03-06.md',
        participants: [{ name: 'Katherine Johnson', phone: '+15552220004' }, { name: 'Grace Hopper' }], fromSelf: true,
      },
      // `created` without a zone is read as UTC; the same person listed twice is one participant.
      { kind: 'interaction', sourceType: 'vault', externalId: 'Journal/2024-03-07.md', timestamp: Date.parse('2024-03-07T18:30:00Z'), title: '2024-03-07', snippet: 'Dinner with Ada.', conversationKey: 'Journal/2024-03-07.md', participants: [ada], fromSelf: true },
      {
        kind: 'interaction', sourceType: 'granola', externalId: 'Meetings/2024-03-05 Kickoff.md', timestamp: Date.parse('2024-03-05T09:00:00Z'), title: 'Engine kickoff',
        snippet: expect.stringMatching(/^Notes Ada walked through the plan; Grace asked about timelines\. See Difference Engine and Somebody Unknown\./),
        conversationKey: 'Meetings/2024-03-05 Kickoff.md',
        // attendees first (wikilink, bare email, "Name <email>"), then body links that are people:
        // not the project page, not the unresolved link, not the embed, not the link inside code.
        participants: [ada, { email: 'grace@example.org' }, { name: 'Charles Babbage', email: 'charles@example.net' }, { name: 'Grace Hopper' }],
        fromSelf: true,
      },
      { kind: 'contact', sourceType: 'vault', externalId: 'People/Ada Lovelace.md', name: 'Ada Lovelace', emails: ['ada@analytical.example'], phones: [], company: 'Analytical Engines Ltd', jobTitle: 'Analyst' },
      { kind: 'contact', sourceType: 'vault', externalId: 'People/Grace Hopper.md', name: 'Grace Hopper', emails: [], phones: [] },
      { kind: 'interaction', sourceType: 'vault', externalId: 'Projects/Difference Engine.md', timestamp: Date.parse('2024-02-01T00:00:00Z'), title: 'Difference Engine', snippet: 'Project page. Owner: Ada Lovelace.', conversationKey: 'Projects/Difference Engine.md', participants: [ada], fromSelf: true },
    ]);
  });

  it('is idempotent; an edited note keeps its id, a new note adds one', async () => {
    const ids = (evs: SourceEvent[]) => evs.flatMap((e) => (e.kind === 'interaction' ? [e.externalId] : []));
    const first = await collect(vault);
    expect(await collect(vault)).toEqual(first);

    writeFileSync(join(vault, 'Projects', 'Difference Engine.md'), '---\ndate: 2024-02-01\n---\nOwner moved on; [[Katherine Johnson]] now.\n');
    writeFileSync(join(vault, 'Journal', '2024-03-08.md'), '---\ndate: 2024-03-08\n---\nLunch with [[Grace Hopper]].\n');
    const second = await collect(vault);
    expect(ids(second)).toEqual([...ids(first).slice(0, 3), 'Journal/2024-03-08.md', ...ids(first).slice(3)]);
    const project = second.find((e) => e.kind === 'interaction' && e.externalId === 'Projects/Difference Engine.md');
    expect(project).toMatchObject({ participants: [{ name: 'Katherine Johnson', phone: '+15552220004' }] });
  });

  it('takes the people folder from options', async () => {
    const events = await collect(vault, createVaultParser({ peopleFolder: 'Contacts' }));
    // Grace's page is no longer in the people folder, so body links to it are not people; Ada's tag still makes her one.
    expect(events.find((e) => e.kind === 'interaction' && e.externalId === 'Journal/2024-03-06.md')).toMatchObject({ participants: [{ name: 'Katherine Johnson' }] });
    expect(events.filter((e) => e.kind === 'contact').map((e) => (e.kind === 'contact' ? e.externalId : ''))).toEqual(['Contacts/Katherine Johnson.md', 'People/Ada Lovelace.md']);
  });

  it('reads front matter dates in every supported form', () => {
    expect(parseNoteDate('2024-03-05')).toBe(Date.parse('2024-03-05T00:00:00Z'));
    expect(parseNoteDate('2024-03-05T10:00:00+0100')).toBe(Date.parse('2024-03-05T09:00:00Z'));
    expect(parseNoteDate('2024-03-05 10:00:30.5-05:00')).toBe(Date.parse('2024-03-05T15:00:30.500Z'));
    expect(parseNoteDate('2024-03-05T10:00Z')).toBe(Date.parse('2024-03-05T10:00:00Z'));
    expect(parseNoteDate(new Date('2024-03-05T10:00:00Z'))).toBe(Date.parse('2024-03-05T10:00:00Z'));
    expect(parseNoteDate('2024-02-31')).toBeUndefined();
    expect(parseNoteDate('March 5')).toBeUndefined();
    expect(parseNoteDate(20240305)).toBeUndefined();
  });

  it('fails with the path for a missing vault', async () => {
    const missing = join(vault, 'nope');
    await expect(collect(missing)).rejects.toThrow(NotFoundError);
    await expect(collect(missing)).rejects.toThrow(missing);
    await expect(collect(join(vault, 'Ideas.md'))).rejects.toThrow(join(vault, 'Ideas.md'));
  });

  it('parses the sample vault in examples/ (with its drive/ Markdown) cleanly', async () => {
    const events = await collect(join(EXAMPLES, 'vault'));
    const interactions = events.filter((e) => e.kind === 'interaction');
    expect([events.filter((e) => e.kind === 'contact').length, interactions.length, events.filter((e) => e.kind === 'skipped').length]).toEqual([2, 8, 0]);
    expect(interactions.reduce((n, e) => n + (e.kind === 'interaction' ? e.participants.length : 0), 0)).toBe(5);
  });
});
