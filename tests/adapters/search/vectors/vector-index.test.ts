import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PostgresDb } from '../../../../src/db/postgres-db.js';
import { EmbeddingsClient } from '../../../../src/systems/embeddings/embeddings-client.js';
import { enableVectorExtension } from '../../../../src/search/vectors/vector-extension.js';
import { createVectorIndex, dropOtherVectorModels, openVectorIndex, pruneVectors, type VectorIndex } from '../../../../src/search/vectors/vector-index.js';
import { VectorStore } from '../../../../src/search/vectors/vector-store.js';
import { type EmbeddingsEmulator, startEmbeddingsEmulator } from '../../../emulators/embeddings/embeddings-emulator.js';
import { ENGINES, freshDb, postgresUrl, type TestDb } from '../../../support/test-env.js';

const MODEL = 'kith-test-embed';

const CHUNKS = [
  { hash: 'h-grant', text: 'Ada and I discussed the grant proposal budget and the deadline for the research grant' },
  { hash: 'h-garden', text: 'Grace planted tomatoes in the community garden last spring' },
  { hash: 'h-rust', text: 'Linus reviewed the Rust compiler patch for the borrow checker' },
  { hash: 'h-trip', text: 'Travel plans for the conference in Lisbon: flights, hotel and the team dinner' },
  { hash: 'h-bugs', text: 'Triaged the bugs from the release: crash on startup and slow sync' },
];

/** A log that keeps its lines, to assert what a person would read. */
function lines() {
  const out: { level: string; msg: string }[] = [];
  return { out, log: { info: (msg: string) => out.push({ level: 'info', msg }), warn: (msg: string) => out.push({ level: 'warn', msg }) } };
}

describe.each(ENGINES)('vector index over the embeddings emulator (%s)', (engine) => {
  let emu: EmbeddingsEmulator;
  let t: TestDb;
  let client: EmbeddingsClient;
  let index: VectorIndex;

  beforeAll(async () => {
    emu = await startEmbeddingsEmulator({ dims: 64, models: [MODEL, 'other-embed'] });
  });
  afterAll(async () => {
    await emu.close();
  });
  beforeEach(async () => {
    t = await freshDb(engine);
    const ext = await enableVectorExtension(t.db);
    expect(ext).toEqual({ ok: true });
    client = new EmbeddingsClient({ url: emu.url, model: MODEL, batchSize: 2 });
    index = createVectorIndex(t.db, client, MODEL);
    emu.resetStats();
  });
  afterEach(async () => {
    await client.close();
    await t.dispose();
  });

  it('embeds each content hash once per model: a second pass embeds nothing', async () => {
    expect(await index.embedMissing(CHUNKS)).toBe(5);
    expect(emu.stats.inputs).toBe(5);
    expect(emu.stats.batchSizes).toEqual([2, 2, 1]);
    emu.resetStats();
    expect(await index.embedMissing(CHUNKS)).toBe(0);
    expect(emu.stats.inputs).toBe(0);
    // Only the new hash is embedded; a hash repeated in one input is embedded once.
    const more = [...CHUNKS, { hash: 'h-new', text: 'A new note' }, { hash: 'h-new', text: 'A new note' }];
    expect(await index.embedMissing(more)).toBe(1);
    expect(emu.stats.texts).toEqual(['A new note']);
  });

  it('two passes at once store each hash once and both finish (writes are idempotent)', async () => {
    const second = createVectorIndex(t.db, client, MODEL);
    const [a, b] = await Promise.all([index.embedMissing(CHUNKS), second.embedMissing(CHUNKS)]);
    expect(a + b).toBeGreaterThanOrEqual(5);
    expect(await new VectorStore(t.db).count(MODEL)).toBe(5);
    expect((await index.nearest('compiler patch', 1))[0]!.hash).toBe('h-rust');
  });

  it('streams an async input in bounded groups', async () => {
    async function* many() {
      for (let i = 0; i < 700; i++) yield { hash: `h${i}`, text: `chunk ${i} word${i % 17}` };
    }
    const c = new EmbeddingsClient({ url: emu.url, model: MODEL, batchSize: 64 });
    try {
      expect(await createVectorIndex(t.db, c, MODEL).embedMissing(many())).toBe(700);
    } finally {
      await c.close();
    }
    expect(Math.max(...emu.stats.batchSizes)).toBeLessThanOrEqual(64);
    expect(await new VectorStore(t.db).count(MODEL)).toBe(700);
  });

  it('finds the chunk a query shares words with, best first, with cosine distances', async () => {
    await index.embedMissing(CHUNKS);
    const hits = await index.nearest('what did Ada say about the grant', 3);
    expect(hits).toHaveLength(3);
    expect(hits[0]!.hash).toBe('h-grant');
    for (let i = 1; i < hits.length; i++) expect(hits[i]!.distance).toBeGreaterThanOrEqual(hits[i - 1]!.distance);
    expect(hits[0]!.distance).toBeGreaterThanOrEqual(0);
    expect(hits[0]!.distance).toBeLessThan(1);
    expect((await index.nearest('tomatoes garden', 1))[0]!.hash).toBe('h-garden');
    // The same query again is answered without embedding it again.
    const before = emu.stats.inputs;
    expect(await index.nearest('what did Ada say about the grant', 3)).toEqual(hits);
    expect(emu.stats.inputs).toBe(before);
  });

  it('restricts to the hashes given in `within`, and to nothing for an empty list', async () => {
    await index.embedMissing(CHUNKS);
    const hits = await index.nearest('grant proposal budget', 5, ['h-garden', 'h-trip', 'h-unknown']);
    expect(hits.map((h) => h.hash).sort()).toEqual(['h-garden', 'h-trip']);
    expect(await index.nearest('grant', 5, [])).toEqual([]);
  });

  it('answers nothing before any vector of the model was stored', async () => {
    expect(await index.nearest('grant', 5)).toEqual([]);
    expect(emu.stats.requests).toBe(0);
  });

  it('keeps models apart: another model embeds its own vectors, both kept until pruned', async () => {
    await index.embedMissing(CHUNKS);
    const other = new EmbeddingsClient({ url: emu.url, model: 'other-embed', dimensions: 16 });
    try {
      const otherIndex = createVectorIndex(t.db, other, 'other-embed@16');
      expect(await otherIndex.embedMissing(CHUNKS.slice(0, 2))).toBe(2);
      expect((await otherIndex.nearest('grant', 5)).map((h) => h.hash).sort()).toEqual(['h-garden', 'h-grant']);
      expect(await index.nearest('grant', 5)).toHaveLength(5);
      expect(await dropOtherVectorModels(t.db, [MODEL])).toEqual(['other-embed@16']);
      expect(await otherIndex.nearest('grant', 5)).toEqual([]);
      expect(await index.nearest('grant', 5)).toHaveLength(5);
    } finally {
      await other.close();
    }
  });

  it('prunes vectors no chunk uses any more, and only those; pruning again deletes nothing', async () => {
    await index.embedMissing(CHUNKS);
    expect(await pruneVectors(t.db, MODEL, ['h-grant', 'h-rust'])).toBe(3);
    expect(await pruneVectors(t.db, MODEL, ['h-grant', 'h-rust'])).toBe(0);
    const hits = await index.nearest('garden tomatoes travel', 5);
    expect(hits.map((h) => h.hash).sort()).toEqual(['h-grant', 'h-rust']);
    // A pruned hash that comes back is embedded again.
    emu.resetStats();
    expect(await index.embedMissing(CHUNKS)).toBe(3);
    expect(emu.stats.inputs).toBe(3);
  });

  it('prunes against a query of the hashes in use without listing them', async () => {
    await index.embedMissing(CHUNKS);
    await t.db.exec('CREATE TABLE live_chunks (content_hash TEXT, kind TEXT)');
    await t.db.runMany('INSERT INTO live_chunks (content_hash, kind) VALUES (?, ?)', [
      ['h-trip', 'note'],
      ['h-bugs', 'mail'],
      [null, 'note'],
      ['h-grant', 'gone'],
    ]);
    const live = { sql: 'SELECT content_hash AS hash FROM live_chunks WHERE kind <> ?', params: ['gone'] };
    expect(await pruneVectors(t.db, MODEL, live)).toBe(3);
    expect(await pruneVectors(t.db, MODEL, live)).toBe(0);
    expect((await index.nearest('anything at all', 5)).map((h) => h.hash).sort()).toEqual(['h-bugs', 'h-trip']);
  });

  it('creates the vector table of a model whose row was written but whose table was not (a process stopped between them)', async () => {
    await t.db.run('INSERT INTO search_vector_models (model, dims, created_at) VALUES (?, ?, ?)', [MODEL, 64, Date.now()]);
    expect(await index.embedMissing(CHUNKS)).toBe(5);
    expect((await index.nearest('Lisbon conference flights', 1))[0]!.hash).toBe('h-trip');
  });

  it('refuses vectors of other dimensions under a stored model, naming the model', async () => {
    const store = new VectorStore(t.db);
    await store.put('fixed', [{ hash: 'a', vector: new Float32Array([1, 0, 0]) }]);
    await expect(store.put('fixed', [{ hash: 'b', vector: new Float32Array([1, 0]) }])).rejects.toThrow(/'fixed'.*2-dimensional.*3 dimensions/);
    // Writing the same hash again is a no-op (at-least-once delivery).
    expect(await store.put('fixed', [{ hash: 'a', vector: new Float32Array([0, 1, 0]) }])).toBe(0);
    expect(await store.count('fixed')).toBe(1);
  });

  it.each([
    ['exact over the set', undefined],
    ['through the index, oversampled', 100],
  ])('restricts a large `within` set %s, matching the exact answer', async (_how, exactWithinMax) => {
    const store = new VectorStore(t.db, { exactWithinMax });
    let state = 42;
    const rand = () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31) - 0.5;
    const rows = Array.from({ length: 2000 }, (_, i) => ({ hash: `x${i}`, vector: Float32Array.from({ length: 8 }, rand) }));
    for (let i = 0; i < rows.length; i += 500) await store.put('grid', rows.slice(i, i + 500));
    const within = rows.filter((_, i) => i % 3 !== 0).map((r) => r.hash);
    const q = Float32Array.from({ length: 8 }, rand);
    const cos = (v: Float32Array) => {
      let dot = 0;
      let a = 0;
      let b = 0;
      for (let i = 0; i < 8; i++) {
        dot += v[i]! * q[i]!;
        a += v[i]! * v[i]!;
        b += q[i]! * q[i]!;
      }
      return 1 - dot / Math.sqrt(a * b);
    };
    const set = new Set(within);
    const expected = rows
      .filter((r) => set.has(r.hash))
      .map((r) => ({ hash: r.hash, d: cos(r.vector) }))
      .sort((x, y) => x.d - y.d)
      .slice(0, 10);
    const hits = await store.nearest('grid', q, 10, within);
    expect(hits.map((h) => h.hash)).toEqual(expected.map((e) => e.hash));
    hits.forEach((h, i) => expect(h.distance).toBeCloseTo(expected[i]!.d, 4));
  });
});

describe.each(ENGINES)('openVectorIndex (%s)', (engine) => {
  let emu: EmbeddingsEmulator;
  let t: TestDb;
  beforeEach(async () => {
    emu = await startEmbeddingsEmulator({ dims: 32 });
    t = await freshDb(engine);
  });
  afterEach(async () => {
    await t.dispose();
    await emu.close();
  });

  it('is off, saying so in one line, when no endpoint is configured', async () => {
    const l = lines();
    expect(await openVectorIndex(t.db, {}, l.log)).toBeUndefined();
    expect(l.out).toEqual([{ level: 'info', msg: expect.stringMatching(/KITH_EMBEDDINGS_URL is not set.*BM25 only/) }]);
  });

  it('rejects a URL without a model, naming the variable', async () => {
    await expect(openVectorIndex(t.db, { KITH_EMBEDDINGS_URL: emu.url }, lines().log)).rejects.toThrow(/KITH_EMBEDDINGS_MODEL/);
  });

  it('opens on the configured endpoint and model, and logs nothing', async () => {
    const l = lines();
    const index = await openVectorIndex(t.db, { KITH_EMBEDDINGS_URL: emu.url, KITH_EMBEDDINGS_MODEL: MODEL, KITH_EMBEDDINGS_BATCH: '3' }, l.log);
    try {
      expect(index?.model).toBe(MODEL);
      expect(await index!.embedMissing(CHUNKS)).toBe(5);
      expect(emu.stats.batchSizes).toEqual([3, 2]);
      expect((await index!.nearest('bugs crash release', 1))[0]!.hash).toBe('h-bugs');
      expect(l.out).toEqual([]);
    } finally {
      await index?.close();
    }
  });
});

describe('pgvector missing or not allowed: vector search off, one line saying why', () => {
  it('a connection that may not create the extension gets no index and a message naming pgvector', async () => {
    const name = `kith_t_${randomBytes(6).toString('hex')}`;
    const role = `kith_r_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: postgresUrl() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER`);
    const installed = (await admin.query("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")).rowCount === 1;
    const db = PostgresDb.open(postgresUrl().replace(/\/\/postgres@/, `//${role}@`).replace(/\/postgres$/, `/${name}`));
    try {
      const l = lines();
      const index = await openVectorIndex(db, { KITH_EMBEDDINGS_URL: 'http://127.0.0.1:9/v1', KITH_EMBEDDINGS_MODEL: MODEL }, l.log);
      expect(index).toBeUndefined();
      expect(l.out).toHaveLength(1);
      expect(l.out[0]!.level).toBe('warn');
      // Where pgvector is installed the role's missing right is what fails; where it is not, its absence.
      expect(l.out[0]!.msg).toMatch(installed ? /pgvector is installed .* cannot be enabled .*BM25 only/ : /pgvector is not installed in this PostgreSQL: vector search off, BM25 only/);
    } finally {
      await db.close();
      await admin.query(`DROP DATABASE ${name}`);
      await admin.query(`DROP ROLE ${role}`);
      await admin.end();
    }
  });
});
