import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { mergePeople, unmerge } from '../../../src/people/merge.service.js';
import { chunkTexts } from '../../../src/search/chunk.store.js';
import { indexItems, indexNotes } from '../../../src/search/index.service.js';
import type { VectorIndex } from '../../../src/search/vector-index.port.js';
import { noteRoots } from '../../../src/search/note-roots.js';
import { resolvePerson } from '../../../src/search/person-filter.js';
import { search, type SearchOptions } from '../../../src/search/search.service.js';
import { parseSearchParams } from '../../../src/search/search-params.js';
import { COLLECTION_SOURCES } from '../../../src/sources/registry.js';
import { collectSource } from '../../../src/sync/collect-source.service.js';
import { type ConfiguredSource, loadKithConfig } from '../../../src/sync/kith-config.js';
import type { RunDetails, StepRow } from '../../../src/sync/run.store.js';
import { indexCalendarStep } from '../../../src/sync/steps/index-calendar.step.js';
import { indexMailStep } from '../../../src/sync/steps/index-mail.step.js';
import { indexMessagesStep } from '../../../src/sync/steps/index-messages.step.js';
import { indexNotesStep } from '../../../src/sync/steps/index-notes.step.js';
import { ENGINES, freshDb, testLog, type TestDb } from '../../support/test-env.js';

const root = resolve(import.meta.dirname, '../../..');
const config = loadKithConfig(join(root, 'examples/kith.config.yaml'));
const collection = new Set<string>(COLLECTION_SOURCES.map((s) => s.type));

interface Labelled {
  query: string;
  expect: string;
  person?: string;
  source?: string[];
  since?: string;
  until?: string;
}
const LABELLED = parse(readFileSync(join(root, 'tests/fixtures/search/queries.yaml'), 'utf8')) as Labelled[];

/** The examples collected into a fresh database, with the vault copied to a folder the test may edit. */
async function examplesDb(engine: (typeof ENGINES)[number]): Promise<{ t: TestDb; vault: string; sources: ConfiguredSource[]; dir: string }> {
  const t = await freshDb(engine);
  const dir = mkdtempSync(join(tmpdir(), 'kith-search-'));
  const vault = join(dir, 'vault');
  cpSync(join(root, 'examples/exports/vault'), vault, { recursive: true });
  const sources = config.sources.map((s) => (s.type === 'vault' ? { ...s, path: vault } : s.type === 'drive-export' ? { ...s, into: join(vault, 'drive') } : s));
  for (const s of sources.filter((x) => collection.has(x.type))) await collectSource(t.db, s, config.self);
  return { t, vault, sources, dir };
}

async function indexAll(t: TestDb, sources: readonly ConfiguredSource[]) {
  const notes = await indexNotes(t.db, noteRoots(sources));
  const mail = await indexItems(t.db, 'mail');
  const calendar = await indexItems(t.db, 'calendar');
  const message = await indexItems(t.db, 'message');
  return { notes, mail, calendar, message };
}

async function find(t: TestDb, opts: SearchOptions & { person?: string }) {
  const person = opts.person ? await resolvePerson(t.db, opts.person) : undefined;
  return search(t.db, { ...opts, personId: person?.id });
}

/**
 * A VectorIndex over a fixed table of word vectors (a text's vector is the sum of its words'),
 * where "espresso" and "coffee" share a dimension: enough to rank by meaning in a test.
 */
class TableVectors implements VectorIndex {
  readonly model = 'fixed-table';
  private static readonly TABLE: Record<string, number[]> = { coffee: [1, 0, 0, 0], espresso: [1, 0, 0, 0], budget: [0, 1, 0, 0], book: [0, 0, 1, 0], dental: [0, 0, 0, 1] };
  private readonly stored = new Map<string, number[]>();

  private static embed(text: string): number[] {
    const v = [0, 0, 0, 0];
    for (const w of text.toLowerCase().match(/[a-z]+/g) ?? []) TableVectors.TABLE[w]?.forEach((x, i) => (v[i]! += x));
    return v;
  }

  async embedMissing(items: AsyncIterable<{ hash: string; text: string }> | Iterable<{ hash: string; text: string }>): Promise<number> {
    let n = 0;
    for await (const { hash, text } of items) {
      if (this.stored.has(hash)) continue;
      this.stored.set(hash, TableVectors.embed(text));
      n++;
    }
    return n;
  }

  async nearest(query: string, k: number, within?: readonly string[]): Promise<{ hash: string; distance: number }[]> {
    const q = TableVectors.embed(query);
    const norm = (v: number[]) => Math.hypot(...v) || 1;
    const allowed = within ? new Set(within) : undefined;
    return [...this.stored]
      .filter(([hash, v]) => (!allowed || allowed.has(hash)) && v.some((x) => x > 0))
      .map(([hash, v]) => ({ hash, distance: 1 - v.reduce((s, x, i) => s + x * q[i]!, 0) / (norm(v) * norm(q)) }))
      .filter((d) => d.distance < 1)
      .sort((a, b) => a.distance - b.distance)
      .slice(0, k);
  }
}

const idOf = async (t: TestDb, email: string) => (await resolvePerson(t.db, email)).id;

describe.each(ENGINES)('search over the bundled examples (%s)', (engine) => {
  let t: TestDb;
  let vault: string;
  let sources: ConfiguredSource[];
  let dir: string;

  beforeAll(async () => {
    ({ t, vault, sources, dir } = await examplesDb(engine));
    const first = await indexAll(t, sources);
    expect(first.mail.written).toBe(5);
    expect(first.calendar.written).toBe(6);
  }, 60_000);

  afterAll(async () => {
    await t?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the expected item in the top 5 for at least 90 % of the labelled queries (BM25)', async () => {
    expect(LABELLED.length).toBeGreaterThanOrEqual(30);
    const misses: string[] = [];
    for (const q of LABELLED) {
      const params = parseSearchParams({ q: q.query, person: q.person, source: q.source, since: q.since, until: q.until, limit: 5 });
      const r = await find(t, { ...params, mode: 'bm25' });
      if (!r.hits.some((h) => h.ref === q.expect)) misses.push(`${q.query} → expected ${q.expect}, got ${r.hits.map((h) => h.ref).join(' | ') || 'nothing'}`);
    }
    if (misses.length) console.log(`search misses (${engine}):\n  ${misses.join('\n  ')}`);
    expect(LABELLED.length - misses.length).toBeGreaterThanOrEqual(Math.ceil(0.9 * LABELLED.length));
  });

  it('reads a query as a bag of words: any word may match, stop words need not occur, "bugs" finds "bug", quotes ask for a phrase', async () => {
    // Neither message has both words; each is found.
    const either = await find(t, { query: 'dental mockups' });
    expect(either.hits.map((h) => h.ref)).toEqual(expect.arrayContaining(['handle:+15550107777@2026-02-08', 'whatsapp:Zoë Müller@2026-02-01']));
    // Stemming: "reminders" finds "Reminder"; "designing" finds "Designs".
    expect((await find(t, { query: 'reminders' })).hits.map((h) => h.ref)).toContain('handle:+15550107777@2026-02-08');
    expect((await find(t, { query: 'designing' })).hits.map((h) => h.ref)).toContain('People/Zoë Müller.md');
    // Diacritics fold: "Zoe Muller" finds Zoë Müller's chat.
    expect((await find(t, { query: 'Zoe Muller', sources: ['whatsapp'] })).hits.length).toBeGreaterThan(0);
    // A phrase only matches its words in order.
    expect((await find(t, { query: '"sheet budget"' })).hits).toEqual([]);
    expect((await find(t, { query: '"budget sheet"' })).hits.map((h) => h.ref)).toContain('engine-budget-1@analytical.example.com');
    // A prefix.
    expect((await find(t, { query: 'telem*' })).hits.map((h) => h.ref)).toContain('intro-kenji-marcus@mail.example.com');
  });

  it('names people as they are now, with ids, source, ISO time, a highlighted snippet and the link back', async () => {
    const r = await find(t, { query: 'budget sheet shared drive', limit: 1 });
    expect(r.mode).toBe('bm25');
    const [hit] = r.hits;
    expect(hit).toMatchObject({ people: ['Ada Lovelace', 'Bob Stone'], source: 'gmail', at: expect.stringMatching(/^2026-02-02T/), title: 'Engine budget review', ref: 'engine-budget-1@analytical.example.com' });
    expect(hit!.personIds).toEqual([await idOf(t, 'ada@example.com'), await idOf(t, 'bob@example.com')]);
    expect(hit!.snippet).toContain('**budget**');
    expect(hit!.score).toBeGreaterThan(0);
  });

  it('filters by person (id, email or name), source and time; a person alone lists what concerns them, newest first', async () => {
    const ada = await idOf(t, 'ada@example.com');
    for (const who of [ada, 'ada@example.com', 'Ada Lovelace', 'lovelace']) {
      const r = await find(t, { person: who, limit: 100 });
      expect(r.hits.length, who).toBeGreaterThan(5);
      expect(r.hits.every((h) => h.personIds.includes(ada)), who).toBe(true);
      const times = r.hits.map((h) => Date.parse(h.at));
      expect(times, who).toEqual([...times].sort((a, b) => b - a));
    }
    const refs = (await find(t, { person: 'ada@example.com', query: 'budget', limit: 20 })).hits.map((h) => h.ref);
    expect(refs).toContain('engine-budget-1@analytical.example.com');
    expect(refs).not.toContain('drive/Sheets/Budget.md'); // mentions nobody by link
    const slack = await find(t, { person: ada, sources: ['slack'], limit: 50 });
    expect(slack.hits.length).toBeGreaterThan(0);
    expect(new Set(slack.hits.map((h) => h.source))).toEqual(new Set(['slack']));
    const feb10 = Date.parse('2026-02-10T00:00:00Z');
    const later = await find(t, { person: ada, since: feb10, until: Date.parse('2026-03-01T00:00:00Z'), limit: 50 });
    expect(later.hits.length).toBeGreaterThan(0);
    expect(later.hits.every((h) => Date.parse(h.at) >= feb10)).toBe(true);
    await expect(resolvePerson(t.db, 'nobody@example.com')).rejects.toThrow(/no person with that id, email or name/);
    // A partial name several people share is refused, listing them.
    await expect(resolvePerson(t.db, 'an')).rejects.toThrow(/person 'an' matches \d+ people: p_\w+ \(.+\), .*; give an id/);
    await expect(search(t.db, { query: '  ' })).rejects.toThrow(/give a query/);
  });

  it('asked for vector or hybrid with no embedding endpoint, says so and ranks by BM25', async () => {
    const r = await search(t.db, { query: 'dental', mode: 'hybrid' });
    expect(r.mode).toBe('bm25');
    expect(r.notice).toMatch(/vector search off: no KITH_EMBEDDINGS_URL/);
    expect(r.hits.map((h) => h.ref)).toContain('handle:+15550107777@2026-02-08');
  });

  it('vector and hybrid modes rank through a VectorIndex: nearest hashes, fused with BM25 by reciprocal rank', async () => {
    const vectors = new TableVectors();
    // Every chunk's text once per hash.
    expect(await vectors.embedMissing(chunkTexts(t.db))).toBe(Number((await t.db.get<{ n: number }>('SELECT COUNT(DISTINCT content_hash) AS n FROM search_chunks'))!.n));
    expect(await vectors.embedMissing(chunkTexts(t.db))).toBe(0);
    expect(await vectors.embedMissing(chunkTexts(t.db, { kind: 'mail', batch: 2 }))).toBe(0);
    // "espresso" is in no chunk: BM25 finds nothing, the vectors find the coffee chats.
    expect((await search(t.db, { query: 'espresso' })).hits).toEqual([]);
    const semantic = await search(t.db, { query: 'espresso', mode: 'vector', limit: 3 }, vectors);
    expect(semantic.mode).toBe('vector');
    expect(semantic.hits.map((h) => h.ref)).toEqual(expect.arrayContaining(['D0SAMADA@2026-02-04', 'Journal/2026-02-05.md']));
    // Hybrid: the dental reminder from BM25 and the coffee chats from the vectors, in one list.
    const hybrid = await search(t.db, { query: 'espresso dental', mode: 'hybrid', limit: 10 }, vectors);
    expect(hybrid.mode).toBe('hybrid');
    const refs = hybrid.hits.map((h) => h.ref);
    expect(refs).toEqual(expect.arrayContaining(['handle:+15550107777@2026-02-08', 'D0SAMADA@2026-02-04']));
    // The reminder is in both rankings (its word "dental" is in the table too): first, scored by both.
    expect(refs[0]).toBe('handle:+15550107777@2026-02-08');
    expect(hybrid.hits[0]!.score).toBeGreaterThan(1 / 61);
    expect(hybrid.hits.slice(1).every((h) => h.score <= 1 / 61)).toBe(true);
    // Only the hits kept get a snippet: the one BM25 matched is highlighted, the vectors' alone are not.
    expect(hybrid.hits[0]!.snippet.toLowerCase()).toContain('**dental**');
    expect(hybrid.hits.find((h) => h.ref === 'D0SAMADA@2026-02-04')!.snippet).not.toContain('**');
    // A person filter restricts the vectors to that person's chunks.
    const ada = await idOf(t, 'ada@example.com');
    const adaOnly = await search(t.db, { query: 'espresso', mode: 'vector', personId: ada, limit: 10 }, vectors);
    expect(adaOnly.hits.length).toBeGreaterThan(0);
    expect(adaOnly.hits.every((h) => h.personIds.includes(ada))).toBe(true);
  });

  it('a merge makes the chunks answer to the kept person in the next query, with no index step; an unmerge restores them', async () => {
    const ada = await idOf(t, 'ada@example.com');
    const bob = await idOf(t, 'bob@example.com');
    const indexed = await t.db.get<{ n: number; at: number }>('SELECT COUNT(*) AS n, MAX(indexed_at) AS at FROM search_chunks');
    const merge = await mergePeople(t.db, ada, [bob]);
    const hit = (await find(t, { query: 'budget sheet shared drive', limit: 1 })).hits[0]!;
    expect(hit.personIds).toEqual([ada]);
    expect(hit.people).toEqual(['Ada Lovelace']);
    // Bob's id (merged) filters as Ada now, and finds what was Bob's.
    const asBob = await find(t, { person: bob, query: 'engine planning' });
    expect(asBob.hits.map((h) => h.ref)).toContain('Meetings/2026-02-03 Engine planning.md');
    expect(asBob.hits.every((h) => h.personIds.includes(ada) && !h.personIds.includes(bob))).toBe(true);
    // Nothing was re-indexed.
    expect(await t.db.get('SELECT COUNT(*) AS n, MAX(indexed_at) AS at FROM search_chunks')).toEqual(indexed);
    await unmerge(t.db, merge.auditId);
    expect((await find(t, { query: 'budget sheet shared drive', limit: 1 })).hits[0]!.personIds).toEqual([ada, bob].sort((a, b) => ((a === ada ? 'Ada' : 'Bob') < (b === ada ? 'Ada' : 'Bob') ? -1 : 1)));
  });

  it('re-indexing writes only what changed: an edited note rewrites its chunks alone, a deleted note or message loses its chunks', async () => {
    const again = await indexAll(t, sources);
    for (const c of Object.values(again)) expect(c).toMatchObject({ written: 0, deleted: 0 });
    const note = join(vault, 'Projects/Engine.md');
    writeFileSync(note, `${readFileSync(note, 'utf8')}\n## Risks\n\nThe flux capacitor supplier is late.\n`);
    const chunksOfNote = async () => Number((await t.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM search_chunks WHERE ref = 'Projects/Engine.md'"))!.n);
    const noteRows = () => t.db.all<{ id: number; doc_key: string; ord: number; indexed_at: number; content_hash: string }>("SELECT id, doc_key, ord, indexed_at, content_hash FROM search_chunks WHERE kind = 'note' ORDER BY id");
    const before = await noteRows();
    const notesBefore = before.length;
    const edited = await indexNotes(t.db, noteRoots(sources));
    // The note's chunks (its old one, re-dated by the edit's mtime, and the new section's) and no other.
    expect(await chunksOfNote()).toBe(2);
    expect(edited).toMatchObject({ written: 2, unchanged: notesBefore - 1, deleted: 0 });
    // Every other note's rows are exactly as they were.
    const others = (rows: { doc_key: string }[]) => rows.filter((r) => !r.doc_key.endsWith(':Projects/Engine.md'));
    expect(others(await noteRows())).toEqual(others(before));
    expect((await find(t, { query: 'flux capacitor' })).hits.map((h) => h.ref)).toEqual(['Projects/Engine.md']);

    unlinkSync(join(vault, 'Journal/2026-02-06.md'));
    const removed = await indexNotes(t.db, noteRoots(sources));
    expect(removed).toMatchObject({ written: 0, deleted: 1 });
    expect((await find(t, { query: 'quiet day' })).hits.map((h) => h.ref)).not.toContain('Journal/2026-02-06.md');

    await t.db.run("DELETE FROM interactions WHERE source_type = 'gmail' AND external_id LIKE 'chapter-3@doe-partners.example.net#%'");
    expect(await indexItems(t.db, 'mail')).toMatchObject({ written: 0, deleted: 1, unchanged: 4 });
    expect((await find(t, { query: 'chapter 3 draft' })).hits.map((h) => h.ref)).not.toContain('chapter-3@doe-partners.example.net');
  });

  it('does not read a note again while its file keeps its size and mtime, nor chunk one whose text is the same', async () => {
    const note = join(vault, 'Projects/Engine.md');
    const text = readFileSync(note, 'utf8');
    const { mtime } = statSync(note);
    // Same length, same mtime: taken as unchanged without being read (as git's index does).
    writeFileSync(note, text.replace('flux capacitor', 'flux condenser'));
    utimesSync(note, mtime, mtime);
    expect(await indexNotes(t.db, noteRoots(sources))).toMatchObject({ written: 0, deleted: 0 });
    expect((await find(t, { query: 'condenser' })).hits).toEqual([]);
    // A new mtime has it read; its changed words are written, and found.
    utimesSync(note, new Date(mtime.getTime() + 5000), new Date(mtime.getTime() + 5000));
    const edited = await indexNotes(t.db, noteRoots(sources));
    expect(edited.written).toBeGreaterThan(0);
    expect((await find(t, { query: 'condenser' })).hits.map((h) => h.ref)).toEqual(['Projects/Engine.md']);
    // The same text and mtime again (written back after a read): read, hashed, not chunked or written.
    writeFileSync(note, readFileSync(note, 'utf8'));
    utimesSync(note, new Date(mtime.getTime() + 5000), new Date(mtime.getTime() + 5000));
    expect(await indexNotes(t.db, noteRoots(sources))).toMatchObject({ written: 0, deleted: 0 });
    const stamps = Number((await t.db.get<{ n: number }>('SELECT COUNT(DISTINCT doc_key) AS n FROM search_note_stamps'))!.n);
    const notes = Number((await t.db.get<{ n: number }>("SELECT COUNT(DISTINCT doc_key) AS n FROM search_chunks WHERE kind = 'note'"))!.n);
    expect(stamps).toBe(notes);
  });

  it.runIf(engine === 'sqlite')('keeps FTS5 exactly in step with the chunks through inserts, updates and deletes', async () => {
    // integrity-check with rank 1 compares the FTS5 index with the chunks table row by row.
    await expect(t.db.run("INSERT INTO search_fts (search_fts, rank) VALUES ('integrity-check', 1)")).resolves.toBeDefined();
    const hits = await t.db.all<{ n: number }>("SELECT COUNT(*) AS n FROM search_fts WHERE search_fts MATCH 'condenser'");
    expect(Number(hits[0]!.n)).toBe(1);
    await t.db.run("UPDATE search_chunks SET body = 'nothing here' WHERE ref = 'Projects/Engine.md'");
    await expect(t.db.run("INSERT INTO search_fts (search_fts, rank) VALUES ('integrity-check', 1)")).resolves.toBeDefined();
    // A chunk row inserted without its FTS5 row is what the check exists to catch.
    await t.db.run("INSERT INTO search_chunks (kind, doc_key, ord, source, conv, t_from, t_to, at, title, heading, body, ref, content_hash, indexed_at) VALUES ('note', 'note:x:y', 0, 'vault', 'y', 0, 0, 0, 't', '', 'orphan words', 'y', 'h', 0)");
    await expect(t.db.run("INSERT INTO search_fts (search_fts, rank) VALUES ('integrity-check', 1)")).rejects.toThrow(/malformed|corrupt/i);
    await t.db.run("DELETE FROM search_chunks WHERE doc_key = 'note:x:y'");
    await t.db.run("INSERT INTO search_fts (search_fts) VALUES ('rebuild')");
    await expect(t.db.run("INSERT INTO search_fts (search_fts, rank) VALUES ('integrity-check', 1)")).resolves.toBeDefined();
    // Indexed again, the edited note's chunks come back as they were.
    const again = await indexNotes(t.db, noteRoots(sources));
    expect(again.deleted).toBe(0);
    await expect(t.db.run("INSERT INTO search_fts (search_fts, rank) VALUES ('integrity-check', 1)")).resolves.toBeDefined();
  });

  it("the index steps report what they did to chunks, for the run's sync log", async () => {
    const ctx = { db: t.db, log: testLog, step: {} as StepRow, details: { config: { ...config, sources } } as unknown as RunDetails };
    for (const step of [indexCalendarStep, indexMailStep, indexMessagesStep, indexNotesStep]) {
      const out = await step.run(ctx);
      const kind = { 'index-calendar': 'calendar', 'index-mail': 'mail', 'index-messages': 'message', 'index-notes': 'note' }[step.name]!;
      const stored = Number((await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM search_chunks WHERE kind = ?', [kind]))!.n);
      expect(out.counts, step.name).toEqual({ created: 0, updated: 0, unchanged: stored, deleted: 0 });
      expect(out.records, step.name).toBe(stored);
      expect(step.failurePolicy).toBe('continue');
    }
    // A new mail is created, not updated.
    const ada = await idOf(t, 'ada@example.com');
    await t.db.run('INSERT INTO interactions (person_id, source_type, external_id, occurred_at, title, snippet, conversation_key, entity_ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [ada, 'gmail', 'new-1@x#email:ada@example.com', Date.parse('2026-03-01T00:00:00Z'), 'New', 'Fresh news', 'thread-new', 'email:ada@example.com']);
    expect((await indexMailStep.run(ctx)).counts).toMatchObject({ created: 1, updated: 0, deleted: 0 });
  });

  it('keeps the chunks of a notes folder this host cannot see', async () => {
    const before = Number((await t.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM search_chunks WHERE kind = 'note'"))!.n);
    const r = await indexNotes(t.db, [{ id: sources.find((s) => s.type === 'vault')!.id, path: join(dir, 'not-here') }]);
    expect(r.missingFolders).toEqual([join(dir, 'not-here')]);
    expect(Number((await t.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM search_chunks WHERE kind = 'note'"))!.n)).toBe(before);
  });
});
