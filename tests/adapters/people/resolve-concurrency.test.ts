import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveParticipants } from '../../../src/people/index.js';
import { IDENTITY_LOCK_SLOTS } from '../../../src/people/resolve.service.js';
import { freshDb, type TestDb } from '../../support/test-env.js';

const self = { emails: ['me@example.com'], phones: ['+15550001111'] };

/**
 * Two sources collected at once (a mailbox and a calls backup) each resolve a batch of new
 * participants in one transaction, in their own order, and meet on shared identity locks (the same
 * entity, the same name). Each batch takes all its locks up front in one global order, so the two
 * transactions queue instead of deadlocking: PostgreSQL never has to abort one, and neither is run twice.
 */
describe('resolving participants in concurrent transactions (postgres)', () => {
  let t: TestDb;
  beforeEach(async () => {
    t = await freshDb('postgres');
  });
  afterEach(async () => {
    await t.dispose();
  });

  it('two batches over the same new people in opposite orders neither deadlock nor retry, and agree', async () => {
    const refs = Array.from({ length: 300 }, (_, i) => ({ email: `person${i}@example.org`, name: `Person ${i}` }));
    let runs = 0;
    const batch = (order: typeof refs) =>
      t.db.tx(async (q) => {
        runs++;
        return resolveParticipants(q, 'gmail', order, self);
      });
    const [forward, backward] = await Promise.all([batch(refs), batch([...refs].reverse())]);
    expect(runs).toBe(2); // a deadlock aborts one transaction and db.tx runs it again
    expect(backward.reverse()).toEqual(forward);
    expect(Number((await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM people'))!.n)).toBe(300);
  }, 60_000);

  it('a batch of thousands of new people holds a bounded number of identity locks', async () => {
    // One lock per identity key held to the end of a 5,000-person batch ran two concurrent
    // batches out of PostgreSQL's shared lock table ("out of shared memory").
    const refs = Array.from({ length: 2000 }, (_, i) => ({ email: `person${i}@example.org`, name: `Person ${i}` }));
    const held = await t.db.tx(async (q) => {
      await resolveParticipants(q, 'gmail', refs, self);
      return Number((await q.get<{ n: number }>(`SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()`))!.n);
    });
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(IDENTITY_LOCK_SLOTS);
  }, 60_000);
});
