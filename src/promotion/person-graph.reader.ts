import type { Queryable } from '../db/db.js';
import { inList } from '../db/sql-lists.js';
import { COUNT_FIELDS, decodeSources, CHAT_SOURCES } from '../domain/people/source-mapping.js';
import { isAddressBook, isSourceType } from '../sources/registry.js';
import type { ConversationTail, OpenThread } from './open-threads.js';
import type { PersonGraph } from './person-graph.js';
import { parseCategoryRef } from './promotion-config.js';

/*
 * Reads the people graph for the promotion: one pass over the live people (with what decides
 * whether they changed), then the details of the people that did.
 */

const DAY = 86_400_000;
const WINDOW = 90 * DAY;
const CHANNEL: Record<string, string> = { email_count: 'email', meeting_count: 'meeting', message_count: 'message', mention_count: 'mention', call_count: 'call' };

export interface PersonRow {
  id: string;
  canonical_name: string;
  emails: string;
  phones: string;
  company: string | null;
  job_title: string | null;
  category_code: string | null;
  subcategory_code: string | null;
  category_source: string | null;
  email_count: number;
  meeting_count: number;
  message_count: number;
  mention_count: number;
  call_count: number;
  first_interaction_at: number | null;
  last_interaction_at: number | null;
  strength: number | null;
  source_mask: number;
  updated_at: number;
  shared: number | null;
}

export const totalOf = (r: PersonRow) => COUNT_FIELDS.reduce((a, f) => a + Number(r[f]), 0);

const PERSON_COLUMNS = `p.id, p.canonical_name, p.emails, p.phones, p.company, p.job_title, p.category_code, p.subcategory_code, p.category_source,
       p.email_count, p.meeting_count, p.message_count, p.mention_count, p.call_count, p.first_interaction_at, p.last_interaction_at,
       p.strength, p.source_mask, p.updated_at`;
const SHARED = 'shared_events_count + shared_threads_count + shared_messages_count';

/**
 * Every live person, with the shared-conversation total of their relationships (a change there
 * refreshes their context). Everyone: the totals in one pass over the relationships; a few
 * people: each one's own relationships.
 */
export async function livePeople(q: Queryable, ids?: readonly string[]): Promise<PersonRow[]> {
  if (!ids) {
    return q.all<PersonRow>(
      `SELECT ${PERSON_COLUMNS}, COALESCE(s.shared, 0) AS shared FROM people p LEFT JOIN (
         SELECT id, SUM(n) AS shared FROM (SELECT person_a AS id, ${SHARED} AS n FROM relationships UNION ALL SELECT person_b AS id, ${SHARED} AS n FROM relationships) u GROUP BY id
       ) s ON s.id = p.id
       WHERE p.merged_into IS NULL ORDER BY p.id`,
    );
  }
  const where = inList(q, 'p.id', ids);
  return q.all<PersonRow>(
    `SELECT ${PERSON_COLUMNS},
       (SELECT COALESCE(SUM(${SHARED}), 0) FROM relationships r WHERE r.person_a = p.id)
       + (SELECT COALESCE(SUM(${SHARED}), 0) FROM relationships r WHERE r.person_b = p.id) AS shared
     FROM people p WHERE p.merged_into IS NULL AND ${where.sql} ORDER BY p.id`,
    where.params,
  );
}

/** The source types each person's source entities come from (vcard, linkedin, mbox, …). */
export async function entitySources(q: Queryable): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const r of await q.all<{ person_id: string; source: string }>('SELECT person_id, source FROM source_entities GROUP BY person_id, source ORDER BY person_id, source')) {
    const list = out.get(r.person_id) ?? [];
    list.push(r.source);
    out.set(r.person_id, list);
  }
  return out;
}

/** Whether any of these entity sources is an address book (vCard, Google Contacts, LinkedIn connections). */
export function inAddressBook(sources: readonly string[]): boolean {
  return sources.some((s) => isSourceType(s) && isAddressBook(s)) || sources.includes('google-contacts');
}

/** Chat conversations active in the last 90 days before `now`: their people and latest messages (see open-threads.ts). */
export async function recentConversationTails(q: Queryable, now: number): Promise<ConversationTail[]> {
  const chats = inList(q, 'source_type', [...CHAT_SOURCES]);
  const since = now - WINDOW;
  const rows = await q.all<{ conversation_key: string; person_id: string; occurred_at: number; source_type: string; title: string; people: number }>(
    `WITH recent AS (
       SELECT conversation_key, MAX(occurred_at) AS at, COUNT(DISTINCT person_id) AS people FROM interactions
       WHERE conversation_key IS NOT NULL AND occurred_at >= ? AND ${chats.sql} GROUP BY conversation_key)
     SELECT i.conversation_key, i.person_id, i.occurred_at, i.source_type, i.title, r.people
     FROM recent r JOIN interactions i ON i.conversation_key = r.conversation_key AND i.occurred_at = r.at
     ORDER BY i.conversation_key, i.person_id`,
    [since, ...chats.params],
  );
  const byKey = new Map<string, ConversationTail>();
  for (const r of rows) {
    let t = byKey.get(r.conversation_key);
    if (!t) byKey.set(r.conversation_key, (t = { conversationKey: r.conversation_key, people: Number(r.people), last: [] }));
    t.last.push({ personId: r.person_id, at: Number(r.occurred_at), channel: r.source_type, title: r.title });
  }
  return [...byKey.values()];
}

const jsonList = (s: string | null) => {
  try {
    const v = JSON.parse(s ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
};

/** The whole graph of one person, for its contact (readPersonGraphs for one). */
export async function readPersonGraph(q: Queryable, row: PersonRow, sources: readonly string[], openThreads: readonly OpenThread[], now: number, recent = 5): Promise<PersonGraph> {
  return (await readPersonGraphs(q, [{ row, sources, openThreads }], now, recent)).get(row.id)!;
}

/** One person to read the graph of: their row, their entity sources and their open threads. */
export interface GraphInput {
  row: PersonRow;
  sources: readonly string[];
  openThreads: readonly OpenThread[];
}

const groupBy = <T extends { person_id: string }>(rows: readonly T[]) => {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const list = out.get(r.person_id);
    if (list) list.push(r);
    else out.set(r.person_id, [r]);
  }
  return out;
};

/**
 * The whole graphs of many people at once, by person id: the profile handles and the 90-day
 * windows of all of them in one query each, then each person's closest companions and last
 * interactions (topRowsEach, topRowsAtOnce); every answer per person exactly what it is for that
 * person alone.
 */
export async function readPersonGraphs(q: Queryable, people: readonly GraphInput[], now: number, recent = 5): Promise<Map<string, PersonGraph>> {
  const out = new Map<string, PersonGraph>();
  if (!people.length) return out;
  const ids = people.map((p) => p.row.id);
  const list = (column: string) => inList(q, column, ids);
  const handles = groupBy(
    await q.all<{ person_id: string; handles: string }>(`SELECT person_id, handles FROM source_entities WHERE ${list('person_id').sql} ORDER BY person_id, source, external_id`, list('person_id').params),
  );
  const windows = new Map(
    (
      await q.all<{ person_id: string; recent: number | null; before: number | null }>(
        `SELECT person_id, SUM(CASE WHEN occurred_at >= ? THEN 1 ELSE 0 END) AS recent, SUM(CASE WHEN occurred_at < ? THEN 1 ELSE 0 END) AS before
         FROM interactions WHERE ${list('person_id').sql} AND occurred_at >= ? AND occurred_at <= ? GROUP BY person_id`,
        [now - WINDOW, now - WINDOW, ...list('person_id').params, now - 2 * WINDOW, now],
      )
    ).map((w) => [w.person_id, w]),
  );
  const { companions, last } = q.engine === 'sqlite' ? await topRowsEach(q, ids, recent) : await topRowsAtOnce(q, ids, recent);
  for (const { row, sources, openThreads } of people) {
    const counts: Record<string, number> = {};
    for (const f of COUNT_FIELDS) counts[CHANNEL[f]!] = Number(row[f]);
    const profiles = [...new Set((handles.get(row.id) ?? []).flatMap((h) => jsonList(h.handles)).filter((h) => /^https?:\/\//.test(h)))];
    const w = windows.get(row.id);
    const code = row.category_code ? parseCategoryRef(row.subcategory_code ?? row.category_code) : undefined;
    out.set(row.id, {
      id: row.id,
      name: row.canonical_name,
      emails: jsonList(row.emails),
      phones: jsonList(row.phones),
      company: row.company,
      jobTitle: row.job_title,
      category: code ?? (row.category_code ? { category: row.category_code as 'A', subcategory: null } : null),
      counts,
      firstAt: row.first_interaction_at == null ? null : Number(row.first_interaction_at),
      lastAt: row.last_interaction_at == null ? null : Number(row.last_interaction_at),
      strength: row.strength == null ? null : Number(row.strength),
      sources: [...new Set([...decodeSources(Number(row.source_mask)), ...sources])],
      profiles,
      window: { recent: Number(w?.recent ?? 0), before: Number(w?.before ?? 0) },
      companions: (companions.get(row.id) ?? []).map((c) => ({ personId: c.id, name: c.name, shared: Number(c.shared) })),
      recent: (last.get(row.id) ?? []).map((r) => ({ at: Number(r.occurred_at), channel: r.source_type, title: r.title })),
      openThreads: openThreads.slice(0, 5).map((t) => ({ at: t.at, channel: t.channel, title: t.title })),
    });
  }
  return out;
}

type CompanionRow = { person_id: string; id: string; name: string; shared: number };
type LastRow = { person_id: string; occurred_at: number; source_type: string; title: string };

const COMPANIONS_OF_ONE = `SELECT ? AS person_id, x.id, p.canonical_name AS name, x.shared FROM (
       SELECT person_b AS id, shared_events_count + shared_threads_count + shared_messages_count AS shared FROM relationships WHERE person_a = ?
       UNION ALL
       SELECT person_a AS id, shared_events_count + shared_threads_count + shared_messages_count AS shared FROM relationships WHERE person_b = ?
     ) x JOIN people p ON p.id = x.id WHERE p.merged_into IS NULL ORDER BY x.shared DESC, x.id LIMIT 5`;
const LAST_OF_ONE = 'SELECT ? AS person_id, occurred_at, source_type, title FROM interactions WHERE person_id = ? ORDER BY occurred_at DESC, source_type, external_id LIMIT ?';

/**
 * SQLite: one statement per person (prepared once, in process: no round trip), whose LIMIT lets
 * SQLite keep only the top rows while sorting; a window over many people sorts all their rows
 * and measured slower.
 */
async function topRowsEach(q: Queryable, ids: readonly string[], recent: number): Promise<{ companions: Map<string, CompanionRow[]>; last: Map<string, LastRow[]> }> {
  const companions = new Map<string, CompanionRow[]>();
  const last = new Map<string, LastRow[]>();
  for (const id of ids) {
    companions.set(id, await q.all<CompanionRow>(COMPANIONS_OF_ONE, [id, id, id]));
    last.set(id, await q.all<LastRow>(LAST_OF_ONE, [id, id, recent]));
  }
  return { companions, last };
}

/** PostgreSQL: one query for all the people (one round trip instead of one per person), ranked per person by a window. */
async function topRowsAtOnce(q: Queryable, ids: readonly string[], recent: number): Promise<{ companions: Map<string, CompanionRow[]>; last: Map<string, LastRow[]> }> {
  const a = inList(q, 'person_a', ids);
  const b = inList(q, 'person_b', ids);
  const mine = inList(q, 'person_id', ids);
  const companions = groupBy(
    await q.all<CompanionRow>(
      `SELECT person_id, id, name, shared FROM (
         SELECT x.person_id, x.id, p.canonical_name AS name, x.shared, ROW_NUMBER() OVER (PARTITION BY x.person_id ORDER BY x.shared DESC, x.id) AS n FROM (
           SELECT person_a AS person_id, person_b AS id, shared_events_count + shared_threads_count + shared_messages_count AS shared FROM relationships WHERE ${a.sql}
           UNION ALL
           SELECT person_b AS person_id, person_a AS id, shared_events_count + shared_threads_count + shared_messages_count AS shared FROM relationships WHERE ${b.sql}
         ) x JOIN people p ON p.id = x.id WHERE p.merged_into IS NULL
       ) c WHERE n <= 5 ORDER BY person_id, n`,
      [...a.params, ...b.params],
    ),
  );
  const last = groupBy(
    await q.all<LastRow>(
      `SELECT person_id, occurred_at, source_type, title FROM (
         SELECT person_id, occurred_at, source_type, title, ROW_NUMBER() OVER (PARTITION BY person_id ORDER BY occurred_at DESC, source_type, external_id) AS n
         FROM interactions WHERE ${mine.sql}
       ) l WHERE n <= ? ORDER BY person_id, n`,
      [...mine.params, recent],
    ),
  );
  return { companions, last };
}
