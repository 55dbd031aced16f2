import type { Db, Queryable } from '../db/db.js';
import { COUNT_FIELDS, diffStats, INTERACTION_SOURCE_TYPES, type PersonStats, SOURCE_BIT, SOURCE_COUNT_FIELD } from '../domain/people/source-mapping.js';
import { writeAudit } from './audit.js';
import { inList, lockPeople } from './sql-support.js';

/**
 * Recomputation of the cached counts from `interactions`, generated from the one mapping table.
 * Two-level aggregation: first per (person, source type), which SQLite streams straight off the
 * covering index `interactions_person`, then per person over at most ten rows each.
 */
const STAT_COLUMNS = [...COUNT_FIELDS, 'source_mask', 'first_interaction_at', 'last_interaction_at'] as const;

function aggregateSql(innerWhere: string): string {
  const counts = COUNT_FIELDS.map((f) => {
    const types = INTERACTION_SOURCE_TYPES.filter((t) => SOURCE_COUNT_FIELD[t] === f).map((t) => `'${t}'`);
    return `SUM(CASE WHEN source_type IN (${types.join(', ')}) THEN n ELSE 0 END) AS ${f}`;
  });
  const bits = INTERACTION_SOURCE_TYPES.map((t) => `WHEN '${t}' THEN ${SOURCE_BIT[t]}`).join(' ');
  return `SELECT person_id, ${counts.join(', ')},
    SUM(CASE source_type ${bits} ELSE 0 END) AS source_mask,
    MIN(f) AS first_interaction_at, MAX(l) AS last_interaction_at
  FROM (SELECT person_id, source_type, COUNT(*) AS n, MIN(occurred_at) AS f, MAX(occurred_at) AS l
        FROM interactions ${innerWhere} GROUP BY person_id, source_type) t
  GROUP BY person_id`;
}

/**
 * Recompute and store the counts of `personIds` inside the caller's transaction, touching only
 * those people: lock them (so the aggregate sees every write committed before), then one
 * UPDATE from the aggregate, which skips people whose stored values already match (an exact
 * refresh, the normal case, dirties no page). Returns how many of the people exist.
 */
export async function refreshPeopleStatsIn(q: Queryable, personIds: readonly string[]): Promise<number> {
  const ids = [...new Set(personIds)];
  if (ids.length === 0) return 0;
  const existing = await lockPeople(q, ids);
  const a = inList(q, 'person_id', ids);
  const p = inList(q, 'p.id', ids);
  const cols = STAT_COLUMNS.map((c) => (c.endsWith('_at') ? `x.${c} AS ${c}` : `COALESCE(x.${c}, 0) AS ${c}`)).join(', ');
  await q.run(
    `UPDATE people SET ${STAT_COLUMNS.map((c) => `${c} = a.${c}`).join(', ')}
     FROM (SELECT p.id AS pid, ${cols} FROM people p LEFT JOIN (${aggregateSql(`WHERE ${a.sql}`)}) x ON x.person_id = p.id WHERE ${p.sql}) a
     WHERE people.id = a.pid AND (${STAT_COLUMNS.map((c) => `people.${c} IS DISTINCT FROM a.${c}`).join(' OR ')})`,
    [...a.params, ...p.params],
  );
  return existing.length;
}

/** Targeted refresh in its own transaction (repair tool; normal writes keep counts exact themselves). */
export function refreshPeopleStats(db: Db, personIds: readonly string[]): Promise<number> {
  return db.tx((q) => refreshPeopleStatsIn(q, personIds));
}

export interface StatsDiscrepancy {
  personId: string;
  name: string;
  fields: { field: keyof PersonStats; cached: number | null; computed: number | null }[];
}

/** Interactions whose person does not exist (no foreign key guards this; see migration 011). */
export interface OrphanedInteractions {
  personId: string;
  interactions: number;
}

export interface VerifyResult {
  checkedPeople: number;
  discrepancies: StatsDiscrepancy[];
  /** --fix re-creates each missing person (unnamed, to be merged where they belong): nothing is deleted. */
  orphans: OrphanedInteractions[];
  fixed: number;
}

type Joined = Record<string, number | string | null>;

/**
 * Compare every person's cached counts with a recomputation from `interactions` in one
 * statement (one snapshot, so concurrent writers never show up as false discrepancies; the
 * aggregate is computed once and also yields interactions whose person is missing), and with
 * `fix` repair exactly the people listed.
 */
export async function verifyStats(db: Db, opts: { fix?: boolean } = {}): Promise<VerifyResult> {
  const cached = STAT_COLUMNS.map((c) => `p.${c} AS ${c}`).join(', ');
  const computed = STAT_COLUMNS.map((c) => `a.${c} AS c_${c}`).join(', ');
  const nulls = STAT_COLUMNS.map((c) => `NULL AS ${c}`).join(', ');
  const differs = STAT_COLUMNS.map((c) =>
    c.endsWith('_at') ? `COALESCE(p.${c}, -1) <> COALESCE(a.${c}, -1)` : `p.${c} <> COALESCE(a.${c}, 0)`,
  ).join(' OR ');
  const sql = `WITH a AS (${aggregateSql('')})
    SELECT p.id, p.canonical_name, 0 AS orphan, ${cached}, ${computed}
      FROM people p LEFT JOIN a ON a.person_id = p.id WHERE ${differs}
    UNION ALL
    SELECT a.person_id, '', 1, ${nulls}, ${computed}
      FROM a WHERE NOT EXISTS (SELECT 1 FROM people p WHERE p.id = a.person_id)
    ORDER BY 1`;
  const [rows, total] = await Promise.all([db.all<Joined>(sql), db.get<{ n: number }>('SELECT COUNT(*) AS n FROM people')]);
  const orphans: OrphanedInteractions[] = [];
  const discrepancies: StatsDiscrepancy[] = [];
  for (const r of rows) {
    const c = {} as PersonStats;
    const k = {} as PersonStats;
    for (const col of STAT_COLUMNS) {
      const dflt = col.endsWith('_at') ? null : 0;
      (c as unknown as Joined)[col] = (r[col] as number | null) ?? dflt;
      (k as unknown as Joined)[col] = (r[`c_${col}`] as number | null) ?? dflt;
    }
    if (Number(r.orphan) === 1) orphans.push({ personId: String(r.id), interactions: COUNT_FIELDS.reduce((n, f) => n + Number(k[f]), 0) });
    else discrepancies.push({ personId: String(r.id), name: String(r.canonical_name ?? ''), fields: diffStats(c, k).map((field) => ({ field, cached: c[field], computed: k[field] })) });
  }
  let fixed = 0;
  if (opts.fix && orphans.length > 0) fixed += await restoreMissingPeople(db, orphans);
  if (opts.fix && discrepancies.length > 0) fixed += await refreshPeopleStats(db, discrepancies.map((d) => d.personId));
  return { checkedPeople: Number(total?.n ?? 0), discrepancies, orphans, fixed };
}

/** Re-create missing people as unnamed people with recomputed counts, and audit the repair. */
async function restoreMissingPeople(db: Db, orphans: readonly OrphanedInteractions[]): Promise<number> {
  const now = Date.now();
  return db.tx(async (q) => {
    for (const o of orphans) {
      await q.run(`INSERT INTO people (id, canonical_name, name_key, created_at, updated_at) VALUES (?, '', '', ?, ?) ON CONFLICT (id) DO NOTHING`, [o.personId, now, now]);
    }
    const n = await refreshPeopleStatsIn(q, orphans.map((o) => o.personId));
    await writeAudit(q, 'repair', `re-created ${orphans.length} missing people that own interactions`, { restored: orphans }, now);
    return n;
  });
}
