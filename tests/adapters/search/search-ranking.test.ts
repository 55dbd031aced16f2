import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Params } from '../../../src/db/db.js';
import { rankFts5, withoutWeightless } from '../../../src/search/fts5-ranking.js';
import { indexNotes } from '../../../src/search/index.service.js';
import { parseQuery } from '../../../src/search/query-parser.js';
import { search } from '../../../src/search/search.service.js';
import { ENGINES, freshDb, type TestDb } from '../../support/test-env.js';

const NOTES = 600;
const BASE = Date.parse('2025-03-01T00:00:00Z');

/**
 * Notes of one section each: "ordinary" in every note, "frequent" in two of three, "zephyr" in
 * every 50th (more often in some), "quill" in every 7th. Note k concerns person k % 5.
 */
function writeNotes(dir: string): void {
  Array.from({ length: NOTES }, (_, k) => {
    const words = ['ordinary', 'plain', 'text', `item${k}`];
    if (k % 3) words.push('frequent');
    if (k % 50 === 0) words.push(...Array.from({ length: 1 + (k % 4) }, () => 'zephyr'));
    if (k % 7 === 0) words.push('quill');
    writeFileSync(join(dir, `n${String(k).padStart(3, '0')}.md`), `---\ndate: 2025-03-01\n---\n${words.join(' ')}\n`);
  });
}

async function seed(t: TestDb, dir: string): Promise<void> {
  const now = Date.now();
  await t.db.tx(async (q) => {
    await q.runMany('INSERT INTO people (id, canonical_name, name_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?)', Array.from({ length: 5 }, (_, i): Params => [`p_rank_${i}`, `Person ${i}`, `person ${i}`, now, now]));
    const rows: Params[] = Array.from({ length: NOTES }, (_, k) => {
      const rel = `n${String(k).padStart(3, '0')}.md`;
      return [`p_rank_${k % 5}`, 'vault', `${rel}#p`, BASE, rel, null, rel, `p_rank_${k % 5}`];
    });
    await q.runMany('INSERT INTO interactions (person_id, source_type, external_id, occurred_at, title, snippet, conversation_key, entity_ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', rows);
  });
  writeNotes(dir);
  await indexNotes(t.db, [{ id: 'r', path: dir }]);
}

describe.each(ENGINES)('search ranking (%s)', (engine) => {
  let t: TestDb;
  const dir = mkdtempSync(join(tmpdir(), 'kith-ranking-'));

  beforeAll(async () => {
    t = await freshDb(engine);
    await seed(t, dir);
  }, 60_000);

  afterAll(async () => {
    await t?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("ranks a person's chunks as the whole index ranks them, keeping only theirs", async () => {
    for (const query of ['zephyr quill', 'quill frequent', 'ordinary zephyr']) {
      const all = (await search(t.db, { query, limit: 1000 })).hits;
      const theirs = all.filter((h) => h.personIds.includes('p_rank_2'));
      const filtered = (await search(t.db, { query, personId: 'p_rank_2', limit: 1000 })).hits;
      expect(theirs.length).toBeGreaterThan(0);
      expect(filtered.map((h) => [h.ref, h.score])).toEqual(theirs.map((h) => [h.ref, h.score]));
      const top = (await search(t.db, { query, personId: 'p_rank_2', limit: 3 })).hits;
      expect(top.map((h) => h.ref)).toEqual(theirs.slice(0, 3).map((h) => h.ref));
    }
  });

  it('ranks the chunks with the rarer word first when a query also holds a word found in most chunks', async () => {
    const hits = (await search(t.db, { query: 'frequent zephyr', limit: 5 })).hits;
    const zephyr = new Set(Array.from({ length: NOTES / 50 }, (_, i) => `n${String(i * 50).padStart(3, '0')}.md`));
    expect(hits).toHaveLength(5);
    for (const h of hits) expect(zephyr.has(h.ref), h.ref).toBe(true);
    // Notes saying zephyr three times (k % 4 = 2) come before those saying it once.
    expect(Number(hits[0]!.ref.slice(1, 4)) % 4).toBe(2);
  });
});

describe('FTS5 ranking without the words found in most chunks (sqlite)', () => {
  let t: TestDb;
  const dir = mkdtempSync(join(tmpdir(), 'kith-ranking-'));

  beforeAll(async () => {
    t = await freshDb('sqlite');
    await seed(t, dir);
  }, 60_000);

  afterAll(async () => {
    await t?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const none = { sql: '', params: [] };

  it('leaves out the words in more than half the chunks when other words remain, and only then', async () => {
    expect(await withoutWeightless(t.db, parseQuery('frequent zephyr'), 100)).toEqual(parseQuery('zephyr'));
    expect(await withoutWeightless(t.db, parseQuery('ordinary frequent quill'), 100)).toEqual(parseQuery('quill'));
    expect(await withoutWeightless(t.db, parseQuery('ordinary "plain text"'), 100)).toEqual(parseQuery('"plain text"'));
    expect(await withoutWeightless(t.db, parseQuery('zephyr quill'), 100)).toBeUndefined();
    expect(await withoutWeightless(t.db, parseQuery('ordinary frequent'), 100)).toBeUndefined();
    // Below the size where words are sampled, the query is kept whole.
    expect(await withoutWeightless(t.db, parseQuery('frequent zephyr'), NOTES + 1)).toBeUndefined();
  });

  it('ranks as the whole query does; with fewer matches than asked for, ranks the whole query', async () => {
    for (const query of ['frequent zephyr', 'ordinary frequent quill']) {
      const q = parseQuery(query);
      const whole = await rankFts5(t.db, q, none, 1000, Number.MAX_SAFE_INTEGER);
      const top = await rankFts5(t.db, q, none, 5, 100);
      expect(top.map((r) => r.id)).toEqual(whole.slice(0, 5).map((r) => r.id));
      top.forEach((r, i) => expect(r.score).toBeCloseTo(whole[i]!.score, 4));
    }
    const q = parseQuery('frequent zephyr');
    const many = await rankFts5(t.db, q, none, 50, 100);
    expect(many.map((r) => r.id)).toEqual((await rankFts5(t.db, q, none, 50, Number.MAX_SAFE_INTEGER)).map((r) => r.id));
    expect(many).toHaveLength(50);
  });
});
