import type { Db, Queryable } from '../db/db.js';
import type { SelfIdentity } from '../domain/people/identity.js';
import { interactionTypesOfSource } from './source-interaction-types.js';
import { writeAudit } from './audit.js';
import { recomputeIdentifiers } from './profile.service.js';
import { addReview } from './resolve.service.js';
import { inList, lockPeople } from './sql-support.js';
import { refreshPeopleStatsIn } from './stats.service.js';

/**
 * Phase 2: re-link source entities across sources by shared exact keys. Phase 1 links each
 * new entity as it arrives; an entity that later gained an identifier (a Slack user whose
 * e-mail became known) may now share a key with another person. Per entity, over entities
 * that are neither pinned (moved by hand) nor awaiting review:
 *   keys shared with entities of exactly one other person, none with its own person's other
 *     entities                            → relink it (and its interactions) to that person
 *   keys shared with two or more people   → review item, nothing moves
 *   a name-only entity of a person without any strong key, when exactly one other live person
 *     with strong keys has that exact name → relink
 * A person left without entities and interactions becomes a tombstone of the receiver. Moves
 * run one at a time in a fixed order (an entity that gained the shared key later before one
 * created from it, then smaller people first), each re-checked, so two people never swap entities. One audit row per run lists the moves.
 */
export interface LinkResult {
  relinked: number;
  reviews: number;
  tombstoned: number;
}

interface Pair {
  source: string;
  external_id: string;
  cur: string;
  other: string;
  key?: string;
}

const SHARED = `SELECT e.source, e.external_id, e.person_id AS cur, o.person_id AS other, ke.key
  FROM entity_keys ke
  JOIN source_entities e ON e.source = ke.source AND e.external_id = ke.external_id
  JOIN entity_keys ko ON ko.key = ke.key AND (ko.source <> ke.source OR ko.external_id <> ke.external_id)
  JOIN source_entities o ON o.source = ko.source AND o.external_id = ko.external_id
  WHERE o.pinned = 0
    AND NOT EXISTS (SELECT 1 FROM link_reviews r WHERE r.status = 'open' AND r.source = o.source AND r.external_id = o.external_id)
    AND NOT EXISTS (SELECT 1 FROM link_reviews r WHERE r.status = 'open' AND r.source = e.source AND r.external_id = e.external_id)`;

export async function linkEntities(db: Db, _self?: SelfIdentity): Promise<LinkResult> {
  return db.tx(async (q) => {
    const now = Date.now();
    const result: LinkResult = { relinked: 0, reviews: 0, tombstoned: 0 };
    // Pass 1: entities bridging two or more people are listed for review (and stop being evidence).
    const pairs = await q.all<Pair>(`SELECT * FROM (${SHARED}) s WHERE (source, external_id) IN (SELECT source, external_id FROM (${SHARED}) d WHERE d.other <> d.cur)`);
    const byEntity = groupPairs(pairs);
    for (const g of byEntity.values()) {
      const people = new Set(g.others);
      if (people.size >= 2) {
        await addReview(q, g.source, g.externalId, [...people].sort(), `shares identifiers with ${people.size} different people`, now);
        result.reviews++;
      }
    }
    // Pass 2: unambiguous moves, re-checked one at a time against the current state.
    const moves: { entity: string; from: string; to: string }[] = [];
    for (let round = 0; round < 3; round++) {
      const fresh = groupPairs(await q.all<Pair>(`${SHARED} AND e.pinned = 0`));
      const named = await q.all<Pair>(NAME_ONLY);
      const todo = [...fresh.values()].filter((g) => new Set(g.others).size === 1 && g.others[0] !== g.cur).map((g) => ({ ...g, to: g.others[0]! }));
      for (const n of named) if (named.filter((m) => m.source === n.source && m.external_id === n.external_id).length === 1) todo.push({ source: n.source, externalId: n.external_id, cur: n.cur, others: [n.other], to: n.other });
      if (todo.length === 0) break;
      const sizes = await entityCounts(q);
      // An entity that gained the shared key later moves before one that was created from it;
      // then entities of smaller people; then a fixed order.
      todo.sort(
        (a, b) =>
          Number(!!a.primary) - Number(!!b.primary) ||
          (sizes.get(a.cur) ?? 0) - (sizes.get(b.cur) ?? 0) ||
          (a.cur < b.cur ? -1 : a.cur > b.cur ? 1 : 0) ||
          (a.externalId < b.externalId ? -1 : 1),
      );
      let movedThisRound = 0;
      for (const t of todo) {
        const cur = await q.get<{ person_id: string }>('SELECT person_id FROM source_entities WHERE source = ? AND external_id = ?', [t.source, t.externalId]);
        if (!cur || cur.person_id !== t.cur) continue;
        const target = await q.get<{ merged_into: string | null }>('SELECT merged_into FROM people WHERE id = ?', [t.to]);
        if (!target || target.merged_into) continue;
        const r = await relinkEntityIn(q, t.source, t.externalId, t.to, now);
        moves.push({ entity: `${t.source}:${t.externalId}`, from: t.cur, to: t.to });
        result.relinked++;
        movedThisRound++;
        if (r.tombstoned) result.tombstoned++;
      }
      if (movedThisRound === 0) break;
    }
    if (moves.length > 0) await writeAudit(q, 'link', `phase 2 relinked ${moves.length} entities`, { moves }, now);
    return result;
  });
}

const NAME_ONLY = `SELECT e.source, e.external_id, e.person_id AS cur, t.id AS other
  FROM source_entities e
  JOIN people p ON p.id = e.person_id
  JOIN people t ON t.name_key = p.name_key AND t.id <> p.id AND t.merged_into IS NULL
  WHERE e.pinned = 0 AND p.name_key <> ''
    AND NOT EXISTS (SELECT 1 FROM entity_keys k JOIN source_entities e2 ON e2.source = k.source AND e2.external_id = k.external_id WHERE e2.person_id = p.id)
    AND EXISTS (SELECT 1 FROM entity_keys k JOIN source_entities e3 ON e3.source = k.source AND e3.external_id = k.external_id WHERE e3.person_id = t.id)`;

interface Group {
  source: string;
  externalId: string;
  cur: string;
  others: string[];
  /** The shared key is the entity's own primary key (it was created from it): such entities move last. */
  primary?: boolean;
}

function groupPairs(pairs: Pair[]): Map<string, Group> {
  const m = new Map<string, Group>();
  for (const p of pairs) {
    const k = `${p.source}\u0000${p.external_id}`;
    let g = m.get(k);
    if (!g) m.set(k, (g = { source: p.source, externalId: p.external_id, cur: p.cur, others: [] }));
    if (!g.others.includes(p.other)) g.others.push(p.other);
    if (p.other !== p.cur && p.key === p.external_id) g.primary = true;
  }
  return m;
}

async function entityCounts(q: Queryable): Promise<Map<string, number>> {
  const rows = await q.all<{ person_id: string; n: number }>('SELECT person_id, COUNT(*) AS n FROM source_entities GROUP BY person_id');
  return new Map(rows.map((r) => [r.person_id, Number(r.n)]));
}

/**
 * Move one source entity and the interactions that came through it to another person,
 * recomputing both people's counts; the old person becomes a tombstone when nothing is left.
 */
export async function relinkEntityIn(q: Queryable, source: string, externalId: string, to: string, now = Date.now()): Promise<{ tombstoned: boolean }> {
  const e = await q.get<{ person_id: string }>('SELECT person_id FROM source_entities WHERE source = ? AND external_id = ?', [source, externalId]);
  if (!e || e.person_id === to) return { tombstoned: false };
  const from = e.person_id;
  await lockPeople(q, [from, to]);
  await q.run('UPDATE source_entities SET person_id = ? WHERE source = ? AND external_id = ?', [to, source, externalId]);
  const types = inList(q, 'source_type', interactionTypesOfSource(source));
  await q.run(`UPDATE interactions SET person_id = ? WHERE person_id = ? AND entity_ref = ? AND ${types.sql}`, [to, from, externalId, ...types.params]);
  const left = await q.get<{ n: number }>(
    'SELECT (SELECT COUNT(*) FROM source_entities WHERE person_id = ?) + (SELECT COUNT(*) FROM interactions WHERE person_id = ?) AS n',
    [from, from],
  );
  const tombstoned = Number(left?.n ?? 0) === 0;
  if (tombstoned) await q.run('UPDATE people SET merged_into = ?, updated_at = ? WHERE id = ?', [to, now, from]);
  await refreshPeopleStatsIn(q, [from, to]);
  await recomputeIdentifiers(q, [from, to], now);
  return { tombstoned };
}
