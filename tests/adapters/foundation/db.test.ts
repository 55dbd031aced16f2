import { describe, expect, it } from 'vitest';
import { migrate } from '../../../src/db/migrate.js';
import { MIGRATIONS } from '../../../src/db/migrations/index.js';
import { readSyncLogs } from '../../../src/sync/sync-log.store.js';
import { ENGINES, freshDb } from '../../support/test-env.js';

describe.each(ENGINES)('database on %s', (engine) => {
  it('applies every migration once, records it, and is idempotent', async () => {
    const t = await freshDb(engine);
    try {
      const rows = await t.db.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version).sort((a, b) => a - b));
      expect(await migrate(t.db)).toEqual([]);
    } finally {
      await t.dispose();
    }
  });

  it('concurrent migrators do not collide', async () => {
    const t = await freshDb(engine, { migrate: false });
    try {
      const results = await Promise.all([migrate(t.db), migrate(t.db), migrate(t.db)]);
      // Every migration applied exactly once, by whichever migrator got there first.
      expect(results.flat().sort((a, b) => a - b)).toEqual(MIGRATIONS.map((m) => m.version).sort((a, b) => a - b));
    } finally {
      await t.dispose();
    }
  });

  it('migrations 011 to 014 rebuild interactions (no person key check), relationships and the pending index and widen sync logs, keeping rows, ids and indexes', async () => {
    const t = await freshDb(engine, { migrate: false });
    try {
      await migrate(t.db, MIGRATIONS.filter((m) => m.version < 11));
      await t.db.run(`INSERT INTO people (id, created_at, updated_at) VALUES ('p1', 1, 1)`);
      await t.db.run(`INSERT INTO interactions (person_id, source_type, external_id, occurred_at, title, conversation_key) VALUES ('p1', 'gmail', 'm1', 5, 'hi', 'th1'), ('p1', 'sms', 's1', 6, '', NULL)`);
      const ids = (await t.db.all<{ id: number }>('SELECT id FROM interactions ORDER BY id')).map((r) => Number(r.id));
      await expect(t.db.run(`INSERT INTO interactions (person_id, source_type, external_id, occurred_at) VALUES ('nobody', 'sms', 's2', 1)`)).rejects.toThrow(/foreign key/i);
      await t.db.run(`INSERT INTO people (id, created_at, updated_at) VALUES ('p2', 1, 1)`);
      await t.db.run(`INSERT INTO relationships (person_a, person_b, shared_threads_count, first_seen_at, last_seen_at, updated_at) VALUES ('p1', 'p2', 3, 10, 20, 30)`);
      expect(await migrate(t.db, MIGRATIONS.filter((m) => m.version <= 11))).toEqual([11]);
      const rows = await t.db.all('SELECT id, person_id, source_type, external_id, occurred_at, title, conversation_key FROM interactions ORDER BY id');
      expect(rows.map((r) => ({ ...r, id: Number(r.id), occurred_at: Number(r.occurred_at) }))).toEqual([
        { id: ids[0], person_id: 'p1', source_type: 'gmail', external_id: 'm1', occurred_at: 5, title: 'hi', conversation_key: 'th1' },
        { id: ids[1], person_id: 'p1', source_type: 'sms', external_id: 's1', occurred_at: 6, title: '', conversation_key: null },
      ]);
      // The uniqueness per source survives; new ids continue after the old ones.
      await expect(t.db.run(`INSERT INTO interactions (person_id, source_type, external_id, occurred_at) VALUES ('p1', 'gmail', 'm1', 1)`)).rejects.toThrow(/unique|duplicate/i);
      const fresh = await t.db.get<{ id: number }>(`INSERT INTO interactions (person_id, source_type, external_id, occurred_at) VALUES ('nobody', 'sms', 's2', 1) RETURNING id`);
      expect(Number(fresh!.id)).toBeGreaterThan(ids[1]!);
      const indexes =
        engine === 'sqlite'
          ? await t.db.all<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'interactions' AND name = 'interactions_person'`)
          : await t.db.all<{ name: string }>(`SELECT indexname AS name FROM pg_indexes WHERE tablename = 'interactions' AND indexname = 'interactions_person'`);
      expect(indexes).toHaveLength(1);
      // 012 (SQLite: relationships clustered on its key) keeps every relationship.
      expect(await migrate(t.db, MIGRATIONS.filter((m) => m.version <= 12))).toEqual([12]);
      expect(await t.db.all('SELECT person_a, person_b, shared_threads_count, first_seen_at, last_seen_at FROM relationships')).toEqual([
        { person_a: 'p1', person_b: 'p2', shared_threads_count: 3, first_seen_at: 10, last_seen_at: 20 },
      ]);
      await expect(t.db.run(`INSERT INTO relationships (person_a, person_b, updated_at) VALUES ('p1', 'p2', 1)`)).rejects.toThrow(/unique|duplicate/i);
      // 013 (the outbox's pending index covers pending rows only) keeps the outbox as it was.
      await t.db.run(`INSERT INTO contact_outbox (contact_id, target, version, enqueued_at, done_at) VALUES ('c1', 'twenty', 2, 100, NULL), ('c2', 'twenty', 1, 50, 60)`);
      expect(await migrate(t.db, MIGRATIONS.filter((m) => m.version <= 13))).toEqual([13]);
      expect(await t.db.all('SELECT contact_id, done_at FROM contact_outbox WHERE done_at IS NULL ORDER BY enqueued_at')).toEqual([{ contact_id: 'c1', done_at: null }]);
      expect(Number((await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM contact_outbox'))!.n)).toBe(2);
      // 014 (sync log rows gain runs, systems, record counts, durations) keeps the rows already there.
      await t.db.run(`INSERT INTO sync_logs (id, event_type, status, message, created_at) VALUES ('old', 'sync-step', 'succeeded', 'written before', 7)`);
      expect(await migrate(t.db, MIGRATIONS.filter((m) => m.version <= 14))).toEqual([14]);
      expect(await readSyncLogs(t.db)).toMatchObject([
        { id: 'old', kind: 'sync-step', message: 'written before', finishedAt: 7, runId: null, durationMs: null, counts: { created: 0, updated: 0, unchanged: 0, deleted: 0, skipped: 0, failed: 0 } },
      ]);
    } finally {
      await t.dispose();
    }
  });

  it('rolls back a failed transaction completely', async () => {
    const t = await freshDb(engine);
    try {
      await expect(
        t.db.tx(async (q) => {
          await q.run(`INSERT INTO sync_logs (id, event_type, status, created_at) VALUES ('a', 't', 'info', 1)`);
          await q.run(`INSERT INTO sync_logs (id, event_type, status, created_at) VALUES ('a', 't', 'info', 1)`);
        }),
      ).rejects.toThrow();
      expect(await t.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM sync_logs')).toEqual({ n: 0 });
      expect((await t.db.get<{ n: number }>('SELECT ? + 1 AS n', [41]))?.n).toBe(42);
    } finally {
      await t.dispose();
    }
  });
});
