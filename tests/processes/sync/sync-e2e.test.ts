import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKith } from '../../support/cli.js';
import { cleanupRedis, redisClientsNamed, redisUrl, uniquePrefix } from '../../support/test-env.js';

interface Step {
  id: string;
  phase: number;
  dependsOn: string[];
  status: string;
  startedAt: string | null;
  finishedAt: string | null;
  records: number;
  error?: string;
  result?: { interactions: { inserted: number; duplicates: number } };
}
interface Report {
  runId: string;
  status: string;
  steps: Step[];
  people: number;
  interactions: number;
  relationships: number;
}

const root = resolve(import.meta.dirname, '../../..');
const ms = (s: string | null) => Date.parse(s ?? '');

/**
 * The whole pipeline over the sample exports: real Redis, real `kith worker` processes started
 * by `kith sync`, SQLite. The counts are what the fixtures imply (examples/exports/README.md):
 * 71 interactions = mbox 10 + ics 14 + WhatsApp 5 + 9 + iMessage 9 + calls/SMS 6 + Slack 10 +
 * LinkedIn messages 3 + vault 5.
 */
describe('kith sync over examples/', () => {
  let dir = '';
  let prefix = '';
  let env: Record<string, string> = {};
  let first: Report;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kith-e2e-'));
    cpSync(join(root, 'examples'), join(dir, 'examples'), { recursive: true });
    const config = readFileSync(join(dir, 'examples/kith.config.yaml'), 'utf8') + '  - { type: mbox, id: lost-mail, path: exports/nowhere/old.mbox }\n';
    writeFileSync(join(dir, 'examples/kith.config.yaml'), config);
    prefix = uniquePrefix();
    env = { KITH_CONFIG: join(dir, 'examples/kith.config.yaml'), KITH_DATA_DIR: join(dir, 'data'), REDIS_URL: redisUrl(), KITH_QUEUE_PREFIX: prefix };
    const r = await runKith(['sync', '--json'], env, 120_000);
    expect(r.stderr).not.toMatch(/Error:|at .*\.ts:\d+/);
    expect(r.code).toBe(2); // partial: one source failed, the run went on
    first = JSON.parse(r.stdout.trim().split('\n').pop()!) as Report;
  }, 150_000);

  afterAll(async () => {
    expect(await redisClientsNamed(prefix)).toEqual([]); // the workers it started are gone
    await cleanupRedis(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports exactly what the fixtures imply', () => {
    expect(first.status).toBe('partial');
    expect({ people: first.people, interactions: first.interactions, relationships: first.relationships }).toEqual({ people: 15, interactions: 71, relationships: 10 });
    const records = Object.fromEntries(first.steps.filter((s) => s.phase === 1).map((s) => [s.id, s.records]));
    expect(records).toMatchObject({ 'collect:mbox': 10, 'collect:ics': 14, 'collect:whatsapp-zoe': 5, 'collect:whatsapp-book-club': 9, 'collect:imessage': 9, 'collect:android-calls': 6 });
  });

  it('a failing source is recorded with its path and does not stop later phases', () => {
    const lost = first.steps.find((s) => s.id === 'collect:lost-mail')!;
    expect(lost.status).toBe('failed');
    expect(lost.error).toContain('nowhere/old.mbox');
    for (const id of ['link-entities', 'relationships', 'strengths', 'verify-stats', 'content:drive-export']) {
      expect(first.steps.find((s) => s.id === id)?.status, id).toBe('succeeded');
    }
  });

  it('runs every step only after everything it depends on finished', () => {
    const byId = new Map(first.steps.map((s) => [s.id, s]));
    for (const s of first.steps) {
      if (s.status !== 'succeeded') continue;
      for (const d of s.dependsOn) expect(ms(s.startedAt), `${s.id} after ${d}`).toBeGreaterThanOrEqual(ms(byId.get(d)!.finishedAt));
    }
  });

  it('content sync starts with phase 1; the notes index waits for it and for the graph; calendar indexing only for the calendar', () => {
    const byId = new Map(first.steps.map((s) => [s.id, s]));
    const strengths = byId.get('strengths')!;
    const content = byId.get('content:drive-export')!;
    const notes = byId.get('index-notes')!;
    expect(content.dependsOn).toEqual([]);
    expect(byId.get('verify-stats')!.dependsOn).toEqual(['strengths']);
    expect(notes.dependsOn).toEqual(['strengths', 'content:drive-export']);
    expect(byId.get('index-calendar')!.dependsOn).toEqual(['collect:ics']);
    for (const id of ['index-calendar', 'index-mail', 'index-messages', 'index-notes']) expect(byId.get(id)?.status, id).toBe('succeeded');
    expect(ms(notes.startedAt)).toBeGreaterThanOrEqual(Math.max(ms(strengths.finishedAt), ms(content.finishedAt)));
  });

  it('running again adds nothing, and status shows every source', async () => {
    const again = await runKith(['sync', '--json', '--only', 'mbox', 'ics', 'whatsapp', 'vault'], env, 120_000);
    const r = JSON.parse(again.stdout.trim().split('\n').pop()!) as Report;
    expect({ people: r.people, interactions: r.interactions, relationships: r.relationships }).toEqual({ people: 15, interactions: 71, relationships: 10 });
    const phase1 = r.steps.filter((s) => s.phase === 1 && s.id !== 'collect:lost-mail');
    expect(phase1.map((s) => s.id).sort()).toEqual(['collect:ics', 'collect:mbox', 'collect:vault', 'collect:whatsapp-book-club', 'collect:whatsapp-zoe']);
    expect(phase1.every((s) => s.status === 'succeeded')).toBe(true);
    for (const s of phase1) expect(s.result?.interactions.inserted, s.id).toBe(0);
    const status = await runKith(['status', '--json'], env);
    const st = JSON.parse(status.stdout) as { sources: { source: string; lastSuccess: string | null; lastError: string | null }[] };
    expect(st.sources.find((s) => s.source === 'lost-mail')?.lastError).toContain('nowhere/old.mbox');
    expect(st.sources.find((s) => s.source === 'imessage')?.lastSuccess).not.toBeNull();
  }, 150_000);

  it('status --history shows one sync log row per step of each run, as JSON and as a table', async () => {
    interface Log { kind: string; runId: string; stepId: string; status: string; counts: Record<string, number>; durationMs: number | null; error: string | null }
    const r = await runKith(['status', '--history', '--json', '--limit', '200'], env);
    expect(r.code).toBe(0);
    const { history } = JSON.parse(r.stdout) as { history: Log[] };
    const ofFirst = history.filter((l) => l.runId === first.runId);
    expect(ofFirst.map((l) => l.stepId).sort()).toEqual(first.steps.map((s) => s.id).sort());
    for (const s of first.steps) expect(ofFirst.find((l) => l.stepId === s.id)?.status, s.id).toBe(s.status);
    // The mbox fixture's message with a broken Date is the one skipped record.
    expect(ofFirst.find((l) => l.stepId === 'collect:mbox')!.counts).toEqual({ created: 10, updated: 0, unchanged: 0, deleted: 0, skipped: 1, failed: 0 });
    expect(ofFirst.find((l) => l.stepId === 'collect:lost-mail')!.error).toContain('nowhere/old.mbox');
    expect(ofFirst.find((l) => l.stepId === 'relationships')!.counts.created).toBe(10);
    // The second run resumed mbox from its cursor: nothing new.
    const again = history.find((l) => l.runId !== first.runId && l.stepId === 'collect:mbox')!;
    expect(again).toMatchObject({ status: 'succeeded', counts: { created: 0 } });
    expect(history.indexOf(again)).toBeLessThan(history.indexOf(ofFirst[0]!)); // newest first

    const table = await runKith(['status', '--history', '--limit', '3'], env);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^when\s+run\/step or system\s+outcome\s+records\s+duration\s+error$/);
    expect(lines).toHaveLength(4);
    const bad = await runKith(['status', '--history', '--limit', 'lots'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe("kith: --limit must be a whole number of at least 1 (got 'lots')");
    const full = await runKith(['status', '--history', '--limit', '200'], env);
    expect(full.stdout).toMatch(new RegExp(`${first.runId} collect:mbox\\s+succeeded\\s+created 10, skipped 1\\s+\\d+\\.\\d+s`));
    expect(full.stdout).toMatch(new RegExp(`${first.runId} collect:lost-mail\\s+failed\\s+-\\s+\\d+\\.\\d+s\\s+.*nowhere/old\\.mbox`));
  }, 120_000);
});
