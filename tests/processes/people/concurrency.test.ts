import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { interactionsFromEvent } from '../../../src/domain/people/interaction-rules.js';
import { verifyStats } from '../../../src/people/stats.service.js';
import { ENGINES, freshDb, type TestDb } from '../../support/test-env.js';
import { concurrentEvent, SELF } from './support/concurrent-events.js';

const SCRIPT = join(import.meta.dirname, 'support/concurrent-worker.ts');
const WORKERS = 4;
const EVENTS = 120;

function proc(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const kill = setTimeout(() => p.kill('SIGKILL'), 150_000);
    p.on('close', (code) => {
      clearTimeout(kill);
      resolve({ code, out, err });
    });
  });
}

describe.each(ENGINES)('concurrency proof (%s)', (engine) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await freshDb(engine);
  });
  afterEach(async () => {
    await t.dispose();
  });

  it('several processes ingest overlapping people while one merges: nothing lost, duplicated or miscounted', { timeout: 180_000 }, async () => {
    // Worker w handles events [w·60, w·60 + 120): each event is ingested by two workers at once.
    // Ingesters pause after their first transaction until the first merge has landed (the gate file).
    const gate = join(mkdtempSync(join(tmpdir(), 'kith-gate-')), 'merged');
    const results = await Promise.all([
      ...Array.from({ length: WORKERS }, (_, w) => proc(['ingest', t.url, String(w), String(EVENTS), gate])),
      proc(['merge', t.url, '8', gate]),
    ]);
    for (const r of results) expect(r.code, r.err).toBe(0);

    const expected = new Set<string>();
    for (let k = 0; k < (WORKERS - 1) * (EVENTS / 2) + EVENTS; k++) for (const p of interactionsFromEvent(concurrentEvent(k), SELF)) expected.add(p.row.externalId);
    const rows = await t.db.all<{ external_id: string }>('SELECT external_id FROM interactions');
    expect(rows.length).toBe(expected.size);
    expect(new Set(rows.map((r) => r.external_id))).toEqual(expected);
    const inserted = results.slice(0, WORKERS).reduce((s, r) => s + (JSON.parse(r.out.trim().split('\n').pop()!) as { inserted: number }).inserted, 0);
    expect(inserted).toBe(expected.size);

    expect((await verifyStats(t.db)).discrepancies).toEqual([]);
    // One person per address: concurrent creators never made two (merges only combine them).
    const holders = await t.db.all<{ key: string; n: number }>(
      `SELECT k.key, COUNT(DISTINCT se.person_id) AS n FROM entity_keys k
       JOIN source_entities se ON se.source = k.source AND se.external_id = k.external_id GROUP BY k.key`,
    );
    expect(holders.length).toBe(24);
    expect(holders.filter((h) => Number(h.n) !== 1)).toEqual([]);
    const merged = JSON.parse(results[WORKERS]!.out.trim().split('\n').pop()!) as { merges: number; atFirstMerge: number };
    expect(merged.merges).toBeGreaterThan(0);
    // The merges really overlapped ingestion: rows kept arriving after the first one.
    expect(merged.atFirstMerge).toBeLessThan(expected.size);
    const live = Number((await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM people WHERE merged_into IS NULL'))!.n);
    const all = Number((await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM people'))!.n);
    expect(all).toBe(24);
    expect(live).toBe(24 - merged.merges + (merged.merges > 0 ? 1 : 0));
  });
});
