import type { Db } from '../db/db.js';
import { InvalidInputError } from '../errors.js';
import { CHAT_SOURCES } from '../domain/people/source-mapping.js';

/**
 * Phase 3a: person↔person relationships from shared conversations, recomputed in one SQL
 * aggregation (no per-person loop). Two people are related when interactions of both carry
 * the same (source type, conversation key):
 *   shared_threads_count   gmail threads both are in
 *   shared_events_count    calendar events both attend
 *   shared_messages_count  over shared chats, Σ min(messages of a, messages of b)
 *   first/last_seen_at     earliest / latest interaction of either in a shared conversation
 * Conversations with more than `maxParticipants` people (all-hands, mailing lists) say
 * nothing about who knows whom and are skipped: they would also make the join quadratic.
 */
export interface DiscoverOptions {
  maxParticipants?: number;
  now?: number;
}

export async function discoverRelationships(db: Db, opts: DiscoverOptions = {}): Promise<{ relationships: number }> {
  const max = opts.maxParticipants ?? 50;
  if (!Number.isInteger(max) || max < 2) throw new InvalidInputError('discoverRelationships: maxParticipants must be an integer ≥ 2');
  const now = opts.now ?? Date.now();
  const chats = [...CHAT_SOURCES].map((s) => `'${s}'`).join(', ');
  // SQLite: the sorts below (millions of rows on a big import) spill to temp files rather than
  // to memory — with temp_store = MEMORY they alone took the worker past 600 MB.
  const restoreTemp = db.engine === 'sqlite' ? await tempStoreOnDisk(db) : undefined;
  try {
    return await discoverIn(db, max, now, chats);
  } finally {
    await restoreTemp?.();
  }
}

async function tempStoreOnDisk(db: Db): Promise<() => Promise<void>> {
  const before = Number((await db.get<{ temp_store: number }>('PRAGMA temp_store'))?.temp_store ?? 0);
  await db.exec('PRAGMA temp_store = FILE');
  return () => db.exec(`PRAGMA temp_store = ${before}`);
}

function discoverIn(db: Db, max: number, now: number, chats: string): Promise<{ relationships: number }> {
  return db.tx(async (q) => {
    // Per (conversation, person) rows go to a temp table first: indexed (SQLite) / analysed
    // (PostgreSQL), so the pair join below is a hash or index join, never a nested loop over
    // an estimate-less CTE. Temp tables are per connection and vanish on rollback.
    await q.exec('DROP TABLE IF EXISTS kith_conversation_people');
    await q.run(
      `CREATE TEMP TABLE kith_conversation_people AS
       WITH cp AS (
         SELECT source_type, conversation_key, person_id, COUNT(*) AS n, MIN(occurred_at) AS f, MAX(occurred_at) AS l
         FROM interactions
         WHERE conversation_key IS NOT NULL AND source_type IN ('gmail', 'calendar', ${chats})
         GROUP BY source_type, conversation_key, person_id
       )
       SELECT cp.* FROM cp JOIN (
         SELECT source_type, conversation_key FROM cp GROUP BY source_type, conversation_key HAVING COUNT(*) BETWEEN 2 AND ${Number(max)}
       ) c ON c.source_type = cp.source_type AND c.conversation_key = cp.conversation_key`,
    );
    if (q.engine === 'sqlite') await q.exec('CREATE INDEX temp.kith_cp_conv ON kith_conversation_people (source_type, conversation_key, person_id)');
    else await q.exec('ANALYZE kith_conversation_people');
    await q.run('DELETE FROM relationships');
    // SQLite: secondary indexes are dropped and rebuilt around the bulk insert (one sorted build
    // instead of millions of random inserts); the rows arrive in primary-key order.
    const secondary = q.engine === 'sqlite' ? await q.all<{ name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'relationships' AND sql IS NOT NULL") : [];
    for (const ix of secondary) await q.exec(`DROP INDEX "${ix.name.replace(/"/g, '""')}"`);
    const { changes } = await q.run(
      `INSERT INTO relationships (person_a, person_b, shared_events_count, shared_threads_count, shared_messages_count, first_seen_at, last_seen_at, updated_at)
       SELECT a.person_id, b.person_id,
         SUM(CASE WHEN a.source_type = 'calendar' THEN 1 ELSE 0 END),
         SUM(CASE WHEN a.source_type = 'gmail' THEN 1 ELSE 0 END),
         SUM(CASE WHEN a.source_type IN (${chats}) THEN (CASE WHEN a.n < b.n THEN a.n ELSE b.n END) ELSE 0 END),
         MIN(CASE WHEN a.f < b.f THEN a.f ELSE b.f END),
         MAX(CASE WHEN a.l > b.l THEN a.l ELSE b.l END),
         ?
       FROM kith_conversation_people a JOIN kith_conversation_people b
         ON a.source_type = b.source_type AND a.conversation_key = b.conversation_key AND a.person_id < b.person_id
       GROUP BY a.person_id, b.person_id`,
      [now],
    );
    for (const ix of secondary) await q.exec(ix.sql);
    await q.exec('DROP TABLE kith_conversation_people');
    return { relationships: changes };
  });
}

/** Phase 3b lives beside it; re-exported so phase 3 imports one module. */
export { computeStrengths } from './strengths.service.js';
