import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexItems } from '../../../src/search/index.service.js';
import { search } from '../../../src/search/search.service.js';
import { pruneUnusedVectors, vectorState, withVectors } from '../../../src/search/vector-wiring.js';
import { COLLECTION_SOURCES } from '../../../src/sources/registry.js';
import { collectSource } from '../../../src/sync/collect-source.service.js';
import { loadKithConfig } from '../../../src/sync/kith-config.js';
import type { RunDetails, StepRow } from '../../../src/sync/run.store.js';
import { indexCalendarStep } from '../../../src/sync/steps/index-calendar.step.js';
import { indexMailStep } from '../../../src/sync/steps/index-mail.step.js';
import { type EmbeddingsEmulator, startEmbeddingsEmulator } from '../../emulators/embeddings/embeddings-emulator.js';
import { ENGINES, freshDb, testLog, type TestDb } from '../../support/test-env.js';

const root = resolve(import.meta.dirname, '../../..');
const config = loadKithConfig(join(root, 'examples/kith.config.yaml'));
const collection = new Set<string>(COLLECTION_SOURCES.map((s) => s.type));
const distinctHashes = async (t: TestDb, kind: string) => Number((await t.db.get<{ n: number }>('SELECT COUNT(DISTINCT content_hash) AS n FROM search_chunks WHERE kind = ?', [kind]))!.n);

/**
 * The search index with an embedding endpoint configured: the index steps embed each new chunk
 * once per content and model through the real client and vector store, and `hybrid` and `vector`
 * searches rank by them.
 */
describe.each(ENGINES)('search with vectors from an embedding endpoint (%s)', (engine) => {
  let t: TestDb;
  let emu: EmbeddingsEmulator;
  const saved = { url: process.env.KITH_EMBEDDINGS_URL, model: process.env.KITH_EMBEDDINGS_MODEL };

  beforeAll(async () => {
    emu = await startEmbeddingsEmulator();
    process.env.KITH_EMBEDDINGS_URL = emu.url;
    process.env.KITH_EMBEDDINGS_MODEL = 'kith-test-embed';
    t = await freshDb(engine);
    for (const s of config.sources.filter((x) => collection.has(x.type))) await collectSource(t.db, s, config.self);
  }, 60_000);

  afterAll(async () => {
    for (const [k, v] of [['KITH_EMBEDDINGS_URL', saved.url], ['KITH_EMBEDDINGS_MODEL', saved.model]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await t?.dispose();
    await emu?.close();
  });

  it('index steps embed each chunk once per content; a second run embeds nothing', async () => {
    const ctx = { db: t.db, log: testLog, step: {} as StepRow, details: { config } as unknown as RunDetails };
    const mail = await indexMailStep.run(ctx);
    const calendar = await indexCalendarStep.run(ctx);
    expect(mail.result).toMatchObject({ embedded: await distinctHashes(t, 'mail'), model: 'kith-test-embed' });
    expect(calendar.result).toMatchObject({ embedded: await distinctHashes(t, 'calendar') });
    const inputs = emu.stats.inputs;
    expect(inputs).toBe((await distinctHashes(t, 'mail')) + (await distinctHashes(t, 'calendar')));
    expect((await indexMailStep.run(ctx)).result).toMatchObject({ embedded: 0 });
    expect(emu.stats.inputs).toBe(inputs);
    expect(await vectorState(t.db)).toMatchObject({ vector: 'on', model: 'kith-test-embed' });
  });

  it('vector and hybrid searches rank through the stored vectors', async () => {
    const r = await withVectors(t.db, async ({ vectors, off }) => {
      expect(off).toBeUndefined();
      return {
        vector: await search(t.db, { query: 'chapter 3 draft', mode: 'vector', limit: 3 }, vectors),
        hybrid: await search(t.db, { query: 'chapter 3 draft', mode: 'hybrid', limit: 5 }, vectors),
      };
    });
    expect(r.vector.mode).toBe('vector');
    expect(r.vector.hits.map((h) => h.ref)).toContain('chapter-3@doe-partners.example.net');
    expect(r.hybrid.mode).toBe('hybrid');
    expect(r.hybrid.hits[0]!.ref).toBe('chapter-3@doe-partners.example.net');
    expect(r.hybrid.notice).toBeUndefined();
  });

  it('vectors of chunks gone from the index are pruned', async () => {
    await t.db.run("DELETE FROM interactions WHERE source_type = 'gmail' AND external_id LIKE 'chapter-3@doe-partners.example.net#%'");
    expect(await indexItems(t.db, 'mail')).toMatchObject({ deleted: 1 });
    expect(await pruneUnusedVectors(t.db, 'kith-test-embed')).toBe(1);
    expect(await pruneUnusedVectors(t.db, 'kith-test-embed')).toBe(0);
  });
});
