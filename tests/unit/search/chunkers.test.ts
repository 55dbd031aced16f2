import { describe, expect, it } from 'vitest';
import { chunkEvent } from '../../../src/search/chunkers/calendar.chunker.js';
import { chunkText, contentHash, wordCount } from '../../../src/search/chunkers/chunk.js';
import { chunkConversationDay, CONVERSATION_CHUNK_WORDS } from '../../../src/search/chunkers/conversation.chunker.js';
import { groupItems, type Item, itemKeyOf } from '../../../src/search/chunkers/item.js';
import { chunkMail } from '../../../src/search/chunkers/mail.chunker.js';
import { chunkNote, NOTE_CHUNK_WORDS } from '../../../src/search/chunkers/note.chunker.js';
import { createHash } from 'node:crypto';

const words = (n: number, w = 'word') => Array.from({ length: n }, (_, i) => `${w}${i}`).join(' ');

describe('note chunks', () => {
  it('by heading and paragraph, keeping path, title, heading; wikilinks read as names; front matter gives source, title and date', () => {
    const text = ['---', 'title: Engine planning', 'date: 2026-02-03', 'source: granola', '---', 'Intro with [[People/Ada Lovelace|Ada]].', '', '## Summary', '', 'Ada presented.', '', 'Bob asked.', '', '## Action items', '', '- [[Zoë Müller]] books a review'].join('\n');
    const chunks = chunkNote({ root: 'vault', rel: 'Meetings/plan.md', text, mtimeMs: 5 });
    expect(chunks.map((c) => [c.ord, c.heading, c.body])).toEqual([
      [0, '', 'Intro with Ada.'],
      [1, 'Summary', 'Ada presented.\n\nBob asked.'],
      [2, 'Action items', '- Zoë Müller books a review'],
    ]);
    expect(chunks[0]).toMatchObject({ kind: 'note', docKey: 'note:vault:Meetings/plan.md', tFrom: 0, source: 'granola', conv: 'Meetings/plan.md', title: 'Engine planning', at: Date.parse('2026-02-03T00:00:00Z'), ref: 'Meetings/plan.md' });
  });

  it('packs paragraphs up to a few hundred words and cuts a longer one; no date: the file time; no title: the file name', () => {
    const text = [words(100, 'a'), words(100, 'b'), words(100, 'c'), words(NOTE_CHUNK_WORDS * 2 + 10, 'd')].join('\n\n');
    const chunks = chunkNote({ root: 'v', rel: 'Long note.md', text, mtimeMs: 1234 });
    expect(chunks.map((c) => wordCount(c.body))).toEqual([200, 100, NOTE_CHUNK_WORDS, NOTE_CHUNK_WORDS, 10]);
    expect(chunks.every((c) => c.title === 'Long note' && c.at === 1234 && c.source === 'vault')).toBe(true);
  });

  it('ignores headings inside code fences; an empty note is one empty chunk', () => {
    const chunks = chunkNote({ root: 'v', rel: 'c.md', text: 'Text\n\n```\n# not a heading\n```\n', mtimeMs: 1 });
    expect(chunks.map((c) => c.heading)).toEqual(['']);
    expect(chunkNote({ root: 'v', rel: 'e.md', text: '', mtimeMs: 1 })).toMatchObject([{ ord: 0, body: '', heading: '' }]);
  });
});

const item = (over: Partial<Item>): Item => ({ source: 'gmail', itemKey: 'm1', conv: 't1', at: Date.parse('2026-02-02T10:00:00Z'), title: 'Subject', snippet: 'Body text', names: ['Ada Lovelace'], ...over });

describe('mail, event and conversation chunks', () => {
  it('a mail message is one chunk: subject, text, people; linked by conversation at its own time', () => {
    expect(chunkMail(item({}))).toEqual({
      kind: 'mail', docKey: 'mail:gmail:m1', ord: 0, source: 'gmail', conv: 't1', tFrom: item({}).at, tTo: item({}).at, at: item({}).at,
      title: 'Subject', heading: '', body: 'Body text\nWith Ada Lovelace', ref: 'm1',
    });
  });

  it('an event is one chunk with its description and attendees', () => {
    const c = chunkEvent(item({ source: 'calendar', itemKey: 'uid/1', title: 'Engine sync', snippet: 'Weekly', names: ['Ada', 'Bob'] }));
    expect(c).toMatchObject({ kind: 'calendar', docKey: 'calendar:calendar:uid/1', title: 'Engine sync', body: 'Weekly\nAttendees: Ada, Bob', ref: 'uid/1' });
  });

  it("a conversation's day reads as the conversation, in time order, cut when long; its window is the UTC day", () => {
    const day = Date.parse('2026-02-04T00:00:00Z');
    const msgs = [
      item({ source: 'slack', conv: 'D1', itemKey: 'b', at: day + 10 * 3600_000 + 5 * 60_000, snippet: 'Yes, 9am', names: [] }),
      item({ source: 'slack', conv: 'D1', itemKey: 'a', at: day + 10 * 3600_000, snippet: 'Coffee Thursday?', title: 'Slack DM', names: ['Ada'] }),
    ];
    const [c, ...rest] = chunkConversationDay(msgs);
    expect(rest).toEqual([]);
    expect(c).toMatchObject({ kind: 'message', docKey: 'message:slack:D1@2026-02-04', ord: 0, title: 'Slack DM', heading: 'With Ada', body: '10:00 Coffee Thursday?\n10:05 Yes, 9am', ref: 'D1@2026-02-04', tFrom: day, tTo: day + 86_400_000 - 1 });
    const long = Array.from({ length: 40 }, (_, i) => item({ source: 'sms', conv: 'c', itemKey: `k${i}`, at: day + i * 60_000, snippet: words(20) }));
    const chunks = chunkConversationDay(long);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.every((x) => wordCount(x.body) <= CONVERSATION_CHUNK_WORDS)).toBe(true);
    expect(chunks.map((x) => x.ord)).toEqual(chunks.map((_, i) => i));
    expect(chunks.map((x) => x.body).join('\n').split('\n')).toHaveLength(40);
  });

  it('groups interaction rows into items by item key, names once each', () => {
    expect(itemKeyOf('msg-1@x#email:ada@example.com', 'email:ada@example.com')).toBe('msg-1@x');
    expect(itemKeyOf('a#b#c', null)).toBe('a#b');
    const rows = [
      { source: 'gmail', itemKey: 'm', conv: 't', at: 1, title: 'S', snippet: 'x', name: 'Ada' },
      { source: 'gmail', itemKey: 'm', conv: 't', at: 1, title: 'S', snippet: 'x', name: 'Bob' },
      { source: 'gmail', itemKey: 'm', conv: 't', at: 1, title: 'S', snippet: 'x', name: 'Ada' },
      { source: 'gmail', itemKey: 'n', conv: 't', at: 2, title: 'T', snippet: null, name: '' },
    ];
    expect(groupItems(rows)).toEqual([
      { source: 'gmail', itemKey: 'm', conv: 't', at: 1, title: 'S', snippet: 'x', names: ['Ada', 'Bob'] },
      { source: 'gmail', itemKey: 'n', conv: 't', at: 2, title: 'T', snippet: '', names: [] },
    ]);
  });

  it("a chunk's content hash is the sha256 of exactly the text that is embedded", () => {
    const c = chunkMail(item({}));
    expect(chunkText(c)).toBe('Subject\nBody text\nWith Ada Lovelace');
    expect(contentHash(c)).toBe(createHash('sha256').update('Subject\nBody text\nWith Ada Lovelace').digest('hex'));
  });
});

describe('front matter without the YAML parser', () => {
  it('reads plain fields as the parser does, and leaves anything else to it', async () => {
    const { simpleFrontMatter } = await import('../../../src/search/chunkers/note.chunker.js');
    const { splitNote } = await import('../../../src/sources/vault/front-matter.js');
    const notes = [
      '---\ntitle: Engine planning\ndate: 2026-02-03\nsource: granola\nattendees:\n  - "[[Ada Lovelace]]"\n  - bob@example.com\n---\n# Summary\n\nText',
      "---\ntitle: 'Quoted: title'\ncreated: 2026-02-03T10:00Z\n---\nBody",
      'No front matter\n---\nat all',
      '---\ntags: [a, b]\n---\nBody',
    ];
    for (const text of notes) {
      const fast = simpleFrontMatter(text);
      expect(fast, text).toBeDefined();
      const full = splitNote(text);
      if (!full.ok) throw new Error(text);
      expect(fast!.body, text).toBe(full.body);
      for (const k of ['title', 'date', 'created', 'source']) expect(fast!.data[k], `${k} of ${text}`).toEqual(full.data[k] === undefined ? undefined : String(full.data[k]));
    }
    for (const text of ['---\ntitle: >\n  folded\n---\n', '---\ndate: 20260203\n---\n', '---\ntitle: "a \\" b"\n---\n', '---\nnot yaml line\n---\n']) expect(simpleFrontMatter(text), text).toBeUndefined();
  });
});
