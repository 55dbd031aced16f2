import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectSource } from '../../../src/sync/collect-source.service.js';
import type { ConfiguredSource } from '../../../src/sync/kith-config.js';
import { freshDb, type TestDb } from '../../support/test-env.js';

const self = { emails: ['me@example.com'], phones: [], names: [] };

/**
 * PostgreSQL runs a transaction's function again after a deadlock or a serialization failure.
 * A batch whose first attempt created people and was then rolled back must not ingest its
 * interactions for the people that attempt created (they no longer exist): the retry resolves
 * its participants again.
 */
describe('a collection batch retried after a serialization failure (PostgreSQL)', () => {
  let t: TestDb;
  beforeEach(async () => {
    t = await freshDb('postgres');
    // The first interaction written fails the transaction as a deadlock victim would, once.
    await t.db.exec(`
      CREATE SEQUENCE kith_test_fail_once;
      CREATE FUNCTION kith_test_fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('kith_test_fail_once') = 1 THEN
          RAISE EXCEPTION 'injected serialization failure' USING ERRCODE = '40001';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER kith_test_fail_once BEFORE INSERT ON interactions FOR EACH ROW EXECUTE FUNCTION kith_test_fail_once();`);
  });
  afterEach(async () => {
    await t.dispose();
  });

  it('resolves the participants again and ingests every interaction once', async () => {
    const source = { id: 'mail', type: 'mbox', path: 'examples/exports/mbox/All mail Including Spam and Trash.mbox' } as ConfiguredSource;
    const out = await collectSource(t.db, source, self);
    expect(Number((await t.db.get<{ n: number }>("SELECT nextval('kith_test_fail_once') AS n"))?.n)).toBeGreaterThan(2); // it did fail once
    const rows = await t.db.all<{ person_id: string; live: string | null }>('SELECT i.person_id, p.id AS live FROM interactions i LEFT JOIN people p ON p.id = i.person_id');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.live === null)).toEqual([]);
    expect((out.result as { interactions: { inserted: number } }).interactions.inserted).toBe(rows.length);
  });
});
