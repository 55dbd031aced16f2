import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestInteractions, resolveParticipants } from '../../../src/people/index.js';
import { ENGINES, freshDb, type TestDb } from '../../support/test-env.js';

const BIN = join(import.meta.dirname, '../../../bin/kith.mjs');
const run = promisify(execFile);
const self = { emails: ['me@example.com'], phones: [] };

describe.each(ENGINES)('kith index rebuild / kith search (%s)', (engine) => {
  let t: TestDb;
  let dir: string;

  async function kith(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const env = { ...process.env, DATABASE_URL: t.url, KITH_CONFIG: join(dir, 'kith.config.yaml'), KITH_LOG_LEVEL: 'silent', KITH_EMBEDDINGS_URL: '' };
    try {
      const r = await run(process.execPath, [BIN, ...args], { cwd: dir, env, timeout: 90_000 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string };
      return { code: x.code, stdout: x.stdout, stderr: x.stderr };
    }
  }

  beforeEach(async () => {
    t = await freshDb(engine);
    dir = mkdtempSync(join(tmpdir(), 'kith-search-cli-'));
    mkdirSync(join(dir, 'vault/Projects'), { recursive: true });
    writeFileSync(join(dir, 'vault/Projects/Grant.md'), '---\ndate: 2026-03-02\n---\n# Grant\n\nThe telemetry grant with [[Ada]] is due in April.\n');
    writeFileSync(join(dir, 'kith.config.yaml'), 'self: { emails: [me@example.com] }\nsources:\n  - { type: vault, path: vault }\n');
    const [ada] = (await t.db.tx((q) => resolveParticipants(q, 'gmail', [{ email: 'Ada <ada@x.org>' }], self))) as string[];
    await ingestInteractions(t.db, [
      { personId: ada!, sourceType: 'gmail', externalId: 'g1@x#email:ada@x.org', entityRef: 'email:ada@x.org', occurredAt: Date.parse('2026-03-01T09:00:00Z'), title: 'Grant budget', snippet: 'Numbers for the grant attached.', conversationKey: 't1' },
    ]);
  });

  afterEach(async () => {
    await t.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  // Each CLI start costs seconds on a busy 2-core box: calls are kept few.
  it('rebuilds with progress on stderr, then searches with filters, JSON and plain output', { timeout: 240_000 }, async () => {
    const rebuilt = await kith('index', 'rebuild', '--json');
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stderr).toMatch(/indexing note: 1 items/);
    expect(rebuilt.stderr).toMatch(/indexing mail: 1 items/);
    expect(JSON.parse(rebuilt.stdout)).toMatchObject({ notes: { written: 1 }, mail: { written: 1 }, missingFolders: [] });

    const json = await kith('search', 'grants', '--json', '--limit', '5');
    expect(json.code).toBe(0);
    expect(json.stderr).toMatch(/vector search off: no KITH_EMBEDDINGS_URL/);
    const r = JSON.parse(json.stdout) as { mode: string; hits: { ref: string; people: string[]; source: string; at: string }[] };
    expect(r.mode).toBe('bm25');
    expect(r.hits.map((h) => h.ref).sort()).toEqual(['Projects/Grant.md', 'g1@x']);
    expect(r.hits.find((h) => h.ref === 'g1@x')).toMatchObject({ people: ['Ada'], source: 'gmail', at: '2026-03-01T09:00:00.000Z' });

    const plain = await kith('search', '--person', 'ada@x.org', '--mode', 'hybrid');
    expect(plain.code).toBe(0);
    expect(plain.stderr).toMatch(/vector search off: no KITH_EMBEDDINGS_URL; hybrid search ran as BM25/);
    expect(plain.stdout).toBe('1. Grant budget  [gmail, 2026-03-01]  with Ada\n   Numbers for the grant attached. With Ada\n   g1@x\n');

    const bad = await kith('search', 'grant', '--since', 'last week');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/since must be a date \(YYYY-MM-DD\) or an ISO 8601 time, got 'last week'/);
    const status = await kith('status');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^vector search off: no KITH_EMBEDDINGS_URL$/m);
    const embeddings = await kith('index', 'rebuild', '--embeddings');
    expect(embeddings.code).toBe(1);
    expect(embeddings.stderr).toMatch(/--embeddings: vector search off: no KITH_EMBEDDINGS_URL/);
  });
});
