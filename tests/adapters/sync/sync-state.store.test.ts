import { afterEach, describe, expect, it } from 'vitest';
import { readSyncState, recordFailure, recordSuccess, recordWarning, saveCursor } from '../../../src/sync/sync-state.store.js';
import { ENGINES, freshDb, type TestDb } from '../../support/test-env.js';

describe.each(ENGINES)('sync state on %s', (engine) => {
  let t: TestDb;
  afterEach(async () => t?.dispose());

  it('a coalesced success leaves a recent idle success as it is, but always resets a failure', async () => {
    t = await freshDb(engine);
    const key = 'contacts-push:twenty';
    await recordSuccess(t.db, key, 3, { coalesceMs: 1000, now: 10_000 });
    expect(await readSyncState(t.db, key)).toMatchObject({ stage: 'idle', last_success_at: 10_000, records: 3 });
    // Within the second: not rewritten.
    await recordSuccess(t.db, key, 5, { coalesceMs: 1000, now: 10_600 });
    expect(await readSyncState(t.db, key)).toMatchObject({ last_success_at: 10_000, records: 3 });
    // A second later: written.
    await recordSuccess(t.db, key, 7, { coalesceMs: 1000, now: 11_000 });
    expect(await readSyncState(t.db, key)).toMatchObject({ last_success_at: 11_000, records: 7 });
    // A failure in between is reset by the next success, however soon.
    await recordFailure(t.db, key, 'HTTP 503');
    expect(await readSyncState(t.db, key)).toMatchObject({ stage: 'failed', failure_count: 1 });
    await recordSuccess(t.db, key, 1, { coalesceMs: 1000, now: 11_100 });
    expect(await readSyncState(t.db, key)).toMatchObject({ stage: 'idle', failure_count: 0, last_success_at: 11_100, records: 1 });
    // Without coalescing every success is written.
    await recordSuccess(t.db, key, 2, { now: 11_200 });
    expect(await readSyncState(t.db, key)).toMatchObject({ last_success_at: 11_200, records: 2 });
  });

  it('keeps a warning beside the stage and failures, without changing them', async () => {
    t = await freshDb(engine);
    const key = 'source:mail';
    await saveCursor(t.db, key, 'c1');
    await recordSuccess(t.db, key, 4);
    await recordWarning(t.db, key, 'cursor invalid, read again from the beginning: file replaced');
    const row = await readSyncState(t.db, key);
    expect(row).toMatchObject({ cursor: 'c1', stage: 'idle', failure_count: 0, records: 4, last_warning: 'cursor invalid, read again from the beginning: file replaced' });
    expect(Number(row?.last_warning_at)).toBeGreaterThan(0);
    await recordWarning(t.db, 'source:new', 'x'.repeat(3000));
    expect((await readSyncState(t.db, 'source:new'))?.last_warning).toHaveLength(2000);
  });
});
