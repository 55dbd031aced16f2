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

/** Every live person, with the shared-conversation total of their relationships (a change there refreshes their context). */
export async function livePeople(q: Queryable, ids?: readonly string[]): Promise<PersonRow[]> {
  const where = ids ? inList(q, 'p.id', ids) : { sql: '1 = 1', params: [] };
  return q.all<PersonRow>(
    `SELECT p.id, p.canonical_name, p.emails, p.phones, p.company, p.job_title, p.category_code, p.subcategory_code, p.category_source,
       p.email_count, p.meeting_count, p.message_count, p.mention_count, p.call_count, p.first_interaction_at, p.last_interaction_at,
       p.strength, p.source_mask, p.updated_at,
       (SELECT COALESCE(SUM(r.shared_events_count + r.shared_threads_count + r.shared_messages_count), 0) FROM relationships r WHERE r.person_a = p.id)
       + (SELECT COALESCE(SUM(r.shared_events_count + r.shared_threads_count + r.shared_messages_count), 0) FROM relationships r WHERE r.person_b = p.id) AS shared
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

/** The whole graph of one person, for its contact. */
export async function readPersonGraph(q: Queryable, row: PersonRow, sources: readonly string[], openThreads: readonly OpenThread[], now: number, recent = 5): Promise<PersonGraph> {
  const counts: Record<string, number> = {};
  for (const f of COUNT_FIELDS) counts[CHANNEL[f]!] = Number(row[f]);
  const handles = await q.all<{ handles: string }>('SELECT handles FROM source_entities WHERE person_id = ? ORDER BY source, external_id', [row.id]);
  const profiles = [...new Set(handles.flatMap((h) => jsonList(h.handles)).filter((h) => /^https?:\/\//.test(h)))];
  const w = await q.get<{ recent: number | null; before: number | null }>(
    `SELECT SUM(CASE WHEN occurred_at >= ? THEN 1 ELSE 0 END) AS recent, SUM(CASE WHEN occurred_at < ? THEN 1 ELSE 0 END) AS before
     FROM interactions WHERE person_id = ? AND occurred_at >= ? AND occurred_at <= ?`,
    [now - WINDOW, now - WINDOW, row.id, now - 2 * WINDOW, now],
  );
  const companions = await q.all<{ id: string; name: string; shared: number }>(
    `SELECT x.id, p.canonical_name AS name, x.shared FROM (
       SELECT person_b AS id, shared_events_count + shared_threads_count + shared_messages_count AS shared FROM relationships WHERE person_a = ?
       UNION ALL
       SELECT person_a AS id, shared_events_count + shared_threads_count + shared_messages_count AS shared FROM relationships WHERE person_b = ?
     ) x JOIN people p ON p.id = x.id WHERE p.merged_into IS NULL ORDER BY x.shared DESC, x.id LIMIT 5`,
    [row.id, row.id],
  );
  const last = await q.all<{ occurred_at: number; source_type: string; title: string }>(
    'SELECT occurred_at, source_type, title FROM interactions WHERE person_id = ? ORDER BY occurred_at DESC, source_type, external_id LIMIT ?',
    [row.id, recent],
  );
  const code = row.category_code ? parseCategoryRef(row.subcategory_code ?? row.category_code) : undefined;
  return {
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
    companions: companions.map((c) => ({ personId: c.id, name: c.name, shared: Number(c.shared) })),
    recent: last.map((r) => ({ at: Number(r.occurred_at), channel: r.source_type, title: r.title })),
    openThreads: openThreads.slice(0, 5).map((t) => ({ at: t.at, channel: t.channel, title: t.title })),
  };
}
