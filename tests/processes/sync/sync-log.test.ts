import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { DagStep } from '../../../src/sync/steps/index.js';
import { createRun, finishRun, markStepFinished, markStepStarted } from '../../../src/sync/run.store.js';
import { recordSyncLog, readSyncLogs } from '../../../src/sync/sync-log.store.js';
import { recordSuccess, recordWarning } from '../../../src/sync/sync-state.store.js';
import { ENGINES, freshDb, type TestDb } from '../../support/test-env.js';

const step = (id: string, phase: DagStep['phase'], dependsOn: string[] = []): DagStep => ({ id, phase, dependsOn, queue: 'q', failurePolicy: phase === 1 ? 'continue' : 'fail-run', params: {} });
const STEPS = [step('collect:mail', 1), step('collect:lost', 1), step('link-entities', 2, ['collect:mail', 'collect:lost']), step('relationships', 3, ['link-entities'])];
const details = { config: { file: 'kith.config.yaml', self: { emails: [], phones: [], names: [], handles: [] }, sources: [] }, full: false };

describe.each(ENGINES)('sync logs on %s', (engine) => {
  let t: TestDb;
  afterEach(async () => t?.dispose());

  it('a run writes one row per step as each finishes, and the steps that never ran when the run ends', async () => {
    t = await freshDb(engine);
    await createRun(t.db, 'run-1', 'manual', STEPS, details);
    await markStepStarted(t.db, 'run-1', 'collect:mail');
    const mail = { events: 12, contacts: 2, interactions: { inserted: 9, duplicates: 3, replaced: 1 }, skipped: 4, skippedSample: [], resumedFrom: null };
    await markStepFinished(t.db, 'run-1', 'collect:mail', 'succeeded', { records: 11, result: mail, counts: { created: 9, unchanged: 3, deleted: 1, skipped: 4 } });
    expect((await readSyncLogs(t.db, { runId: 'run-1' })).map((l) => l.stepId)).toEqual(['collect:mail']);

    // A retry is not an outcome: only the final failure is logged.
    await markStepStarted(t.db, 'run-1', 'collect:lost');
    await markStepFinished(t.db, 'run-1', 'collect:lost', 'retrying', { error: 'ENOENT' });
    expect(await readSyncLogs(t.db, { runId: 'run-1' })).toHaveLength(1);
    await markStepFinished(t.db, 'run-1', 'collect:lost', 'failed', { error: 'ENOENT: exports/lost.mbox' });
    await markStepFinished(t.db, 'run-1', 'link-entities', 'succeeded', { records: 2, result: { relinked: 2, reviews: 1, tombstoned: 1 }, counts: { updated: 2, deleted: 1, skipped: 1 } });
    await finishRun(t.db, 'run-1', { people: 0, interactions: 0, relationships: 0 });
    await finishRun(t.db, 'run-1', { people: 0, interactions: 0, relationships: 0 }); // a redelivered finisher adds nothing

    const logs = await readSyncLogs(t.db, { runId: 'run-1' });
    expect(logs.map((l) => [l.stepId, l.status]).sort()).toEqual([
      ['collect:lost', 'failed'],
      ['collect:mail', 'succeeded'],
      ['link-entities', 'succeeded'],
      ['relationships', 'skipped'],
    ]);
    const byStep = new Map(logs.map((l) => [l.stepId, l]));
    expect(byStep.get('collect:mail')).toMatchObject({ kind: 'sync-step', runId: 'run-1', counts: { created: 9, updated: 0, unchanged: 3, deleted: 1, skipped: 4, failed: 0 }, error: null, details: mail });
    expect(byStep.get('collect:mail')!.durationMs).toBeGreaterThanOrEqual(0);
    expect(byStep.get('collect:lost')).toMatchObject({ error: 'ENOENT: exports/lost.mbox', counts: { created: 0 } });
    expect(byStep.get('link-entities')!.counts).toEqual({ created: 0, updated: 2, unchanged: 0, deleted: 1, skipped: 1, failed: 0 });
    // Never started: no start, no duration.
    expect(byStep.get('relationships')).toMatchObject({ startedAt: null, durationMs: null, error: 'did not run' });
  });

  it('reads newest first, within the limit and of one kind', async () => {
    t = await freshDb(engine);
    for (let i = 1; i <= 5; i++) await recordSyncLog(t.db, { kind: 'hub-sweep', status: 'succeeded', system: `s${i}`, counts: { updated: i }, at: 1000 * i, durationMs: 5 });
    await recordSyncLog(t.db, { kind: 'sync-step', status: 'failed', runId: 'r', stepId: 'strengths', error: 'x'.repeat(3000), at: 500 });
    const all = await readSyncLogs(t.db, { limit: 4 });
    expect(all.map((l) => l.system)).toEqual(['s5', 's4', 's3', 's2']);
    expect(all[0]).toMatchObject({ finishedAt: 5000, durationMs: 5, counts: { updated: 5, created: 0 } });
    const steps = await readSyncLogs(t.db, { kind: 'sync-step' });
    expect(steps).toHaveLength(1);
    expect(steps[0]!.error).toHaveLength(2000);
  });
});

const BIN = join(import.meta.dirname, '../../../bin/kith.mjs');
const run = promisify(execFile);

describe.each(ENGINES)('kith status --history on %s', (engine) => {
  let t: TestDb;
  afterEach(async () => t?.dispose());

  it('prints the sync log newest first as a table, and as JSON', { timeout: 120_000 }, async () => {
    t = await freshDb(engine);
    const kith = async (...args: string[]) => (await run(process.execPath, [BIN, 'status', '--history', ...args], { cwd: tmpdir(), env: { ...process.env, DATABASE_URL: t.url, KITH_LOG_LEVEL: 'silent' }, timeout: 90_000 })).stdout;
    expect((await kith()).trim()).toBe('no sync history yet: run `kith sync` (contact sweeps are logged as they run)');
    const at = Date.parse('2026-03-01T10:00:00Z');
    await recordSyncLog(t.db, { kind: 'sync-step', status: 'succeeded', runId: 'run-a', stepId: 'collect:mail', counts: { created: 9, unchanged: 3 }, startedAt: at - 1500, durationMs: 1500, at });
    await recordSyncLog(t.db, { kind: 'hub-sweep', status: 'failed', system: 'twenty', counts: { updated: 2 }, durationMs: 40, error: 'HTTP 503 from twenty', details: { role: 'source', read: 2 }, at: at + 60_000 });
    const table = (await kith()).trim().split('\n');
    expect(table).toHaveLength(3);
    expect(table[0]).toMatch(/^when\s+run\/step or system\s+outcome\s+records\s+duration\s+error$/);
    expect(table[1]).toMatch(/^2026-03-01 10:01:00Z\s+sweep twenty\s+failed\s+read 2, updated 2\s+0\.04s\s+HTTP 503 from twenty$/);
    expect(table[2]).toMatch(/^2026-03-01 10:00:00Z\s+run-a collect:mail\s+succeeded\s+created 9, unchanged 3\s+1\.50s$/);
    const { history } = JSON.parse(await kith('--json', '--limit', '1')) as { history: unknown[] };
    expect(history).toEqual([
      {
        id: expect.any(String),
        kind: 'hub-sweep',
        status: 'failed',
        runId: null,
        stepId: null,
        system: 'twenty',
        counts: { created: 0, updated: 2, unchanged: 0, deleted: 0, skipped: 0, failed: 0 },
        startedAt: null,
        finishedAt: '2026-03-01T10:01:00.000Z',
        durationMs: 40,
        error: 'HTTP 503 from twenty',
        message: null,
        details: { role: 'source', read: 2 },
      },
    ]);
  });
});

describe('kith status', () => {
  let t: TestDb;
  afterEach(async () => t?.dispose());

  it('shows a source\'s last warning (a refused cursor) beside its last success, as text and JSON', { timeout: 120_000 }, async () => {
    t = await freshDb('sqlite');
    const kith = async (...args: string[]) => (await run(process.execPath, [BIN, 'status', ...args], { cwd: tmpdir(), env: { ...process.env, DATABASE_URL: t.url, KITH_LOG_LEVEL: 'silent', KITH_CONFIG: join(tmpdir(), 'no-such-kith.config.yaml') }, timeout: 90_000 })).stdout;
    await recordSuccess(t.db, 'source:mail', 12);
    await recordWarning(t.db, 'source:mail', 'cursor invalid, read again from the beginning: the mailbox was replaced');
    const text = await kith();
    expect(text).toMatch(/^mail\s+\d+ s ago\s+12\s*$/m);
    expect(text).toMatch(/^\s+warning \d+ s ago: cursor invalid, read again from the beginning: the mailbox was replaced$/m);
    const { sources } = JSON.parse(await kith('--json')) as { sources: Array<Record<string, unknown>> };
    expect(sources).toEqual([expect.objectContaining({ source: 'mail', records: 12, lastWarning: 'cursor invalid, read again from the beginning: the mailbox was replaced', lastWarningAt: expect.stringMatching(/^\d{4}-/) })]);
  });
});
