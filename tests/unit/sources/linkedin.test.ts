import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parser } from '../../../src/sources/linkedin/linkedin.parser.js';
import { repairMojibake } from '../../../src/sources/linkedin/message.mapper.js';
import type { SourceEvent } from '../../../src/sources/source-event.js';

const EXPORT = join(import.meta.dirname, '../../fixtures/sources/linkedin/Basic_LinkedInDataExport');
const CONNECTIONS = join(EXPORT, 'Connections.csv');
const MESSAGES = join(EXPORT, 'messages.csv');

async function collect(src: AsyncIterable<SourceEvent>): Promise<SourceEvent[]> {
  const out: SourceEvent[] = [];
  for await (const e of src) out.push(e);
  return out;
}
const url = (slug: string) => `https://www.linkedin.com/in/${slug}`;
const contact = (slug: string, rest: object) => ({ kind: 'contact', sourceType: 'linkedin', externalId: url(slug), handles: [url(slug)], emails: [], phones: [], ...rest });
const msg = { kind: 'interaction', sourceType: 'linkedin', externalId: expect.stringMatching(/^linkedin-msg:[0-9a-f]{32}$/) };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kith-linkedin-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('linkedin parser', () => {
  it('reads connections after the Notes preamble and messages, skipping bad rows with line', async () => {
    const me = { handle: url('me-myself'), name: 'Me Myself' };
    const ada = { handle: url('ada-lovelace-123'), name: 'Ada Lovelace' };
    expect(await collect(parser.parse({ path: EXPORT }))).toEqual([
      contact('ada-lovelace-123', { name: 'Ada Lovelace', emails: ['ada@example.com'], company: 'Analytical Engines Ltd', jobTitle: 'Head of Research', timestamp: Date.UTC(2023, 0, 12) }),
      contact('zoe-muller', { name: 'Zoë Müller', company: 'Café Lumière, SARL', jobTitle: 'Owner', timestamp: Date.UTC(2021, 1, 3) }),
      contact('janedoe', { name: 'Jane Doe', company: 'Doe & Partners', jobTitle: 'Editor, "Books"', timestamp: Date.UTC(2024, 1, 29) }),
      { kind: 'skipped', file: CONNECTIONS, line: 8, reason: 'connection has no name and no profile URL' },
      contact('kenji-yamada-77', { name: 'Kenji Yamada', emails: ['yamada@example.jp'] }), // 31 Feb: no timestamp
      { kind: 'skipped', file: CONNECTIONS, line: 10, reason: 'malformed CSV record: unexpected "t" after a closing quote' },
      contact('pat-oneil', { name: "Pat O'Neil", company: 'Acme', jobTitle: 'CTO', timestamp: Date.UTC(2019, 7, 7) }),
      { ...msg, timestamp: Date.UTC(2024, 0, 10, 9, 15), title: 'Coffee?', conversationKey: 'linkedin:2-QWRhTWU=', from: ada, participants: [me], snippet: 'Hi! Are you free next week? Would love to catch up.' },
      { ...msg, timestamp: Date.UTC(2024, 0, 10, 10), title: 'LinkedIn message', conversationKey: 'linkedin:2-QWRhTWU=', from: me, participants: [ada], snippet: 'Sure — Thursday?' },
      {
        ...msg, timestamp: Date.UTC(2024, 1, 1, 8), title: 'Project chat', conversationKey: 'linkedin:2-R3JvdXA=',
        from: { handle: url('jose-garcia'), name: 'José García' }, participants: [me, { handle: url('janedoe'), name: 'Jane Doe' }], snippet: 'Hola a todos',
      },
      { kind: 'skipped', file: MESSAGES, line: 6, reason: 'unparsable DATE "yesterday"' },
    ]);
  });

  it('gives identical, distinct ids when parsed twice', async () => {
    const a = await collect(parser.parse({ path: EXPORT }));
    expect(await collect(parser.parse({ path: EXPORT }))).toEqual(a);
    const ids = a.flatMap((e) => (e.kind === 'interaction' || e.kind === 'contact' ? [e.externalId] : []));
    expect(new Set(ids).size).toBe(8);
  });

  it('accepts an export with only Connections.csv', async () => {
    const path = join(dir, 'export');
    mkdirSync(path);
    cpSync(CONNECTIONS, join(path, 'Connections.csv'));
    const evs = await collect(parser.parse({ path }));
    expect(evs.filter((e) => e.kind === 'contact')).toHaveLength(5);
    expect(evs.filter((e) => e.kind === 'interaction')).toHaveLength(0);
  });

  it('fails on a folder without either file, or a header it cannot find, naming the path', async () => {
    await expect(collect(parser.parse({ path: dir }))).rejects.toThrow(`no Connections.csv or messages.csv in the LinkedIn export folder: ${dir}`);
    writeFileSync(join(dir, 'Connections.csv'), 'Notes:\nsomething else entirely\n');
    await expect(collect(parser.parse({ path: dir }))).rejects.toThrow(join(dir, 'Connections.csv'));
  });

  it('throws an error naming a missing path', async () => {
    const path = join(dir, 'Basic_LinkedInDataExport');
    await expect(collect(parser.parse({ path }))).rejects.toThrow(path);
  });

  it('repairs UTF-8 read as Latin-1 and leaves real text alone', () => {
    expect(repairMojibake('JosÃ© GarcÃ­a')).toBe('José García');
    expect(repairMojibake('Zoë Müller')).toBe('Zoë Müller');
    expect(repairMojibake('Ã plain')).toBe('Ã plain');
  });
});
