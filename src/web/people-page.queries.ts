import type { Db } from '../db/db.js';
import { NotFoundError } from '../errors.js';
import { getPerson, type PersonDetail, type PersonSummary } from '../people/people-query.service.js';
import { CHANNELS, type PeopleQuery } from './api-params.js';
import { type MonthlySeries, monthlyByChannel } from './monthly-by-channel.js';

/** Read side of the People and Person pages: one page of people, one person, their timeline and months. */

const TOTAL = '(email_count + meeting_count + message_count + mention_count + call_count)';

/** ORDER BY for a sort key; nulls last either way on both engines, id breaks ties so pages never overlap. */
function orderBy(sort: PeopleQuery['sort'], dir: 'asc' | 'desc'): string {
  const d = dir.toUpperCase();
  switch (sort) {
    case 'strength':
      return `(strength IS NULL), strength ${d}, id`;
    case 'last':
      return `(last_interaction_at IS NULL), last_interaction_at ${d}, id`;
    case 'total':
      return `${TOTAL} ${d}, id`;
    case 'name':
      return `(name_key = ''), name_key ${d}, id`;
    default:
      return `${sort}_count ${d}, id`;
  }
}

export interface PeopleRow {
  id: string;
  name: string;
  email: string | null;
  counts: Record<(typeof CHANNELS)[number], number>;
  total: number;
  strength: number | null;
  lastInteractionAt: number | null;
}

export interface PeoplePage {
  total: number;
  page: number;
  limit: number;
  people: PeopleRow[];
}

export async function peoplePage(db: Db, p: PeopleQuery): Promise<PeoplePage> {
  const where = ['merged_into IS NULL'];
  const params: string[] = [];
  const q = p.q?.trim().toLowerCase().replace(/[%_\\]/g, '');
  if (q) {
    where.push('(name_key LIKE ? OR emails LIKE ? OR phones LIKE ? OR LOWER(canonical_name) LIKE ?)');
    const like = `%${q}%`;
    params.push(like, like, like, like);
  }
  const w = where.join(' AND ');
  const [count, rows] = await Promise.all([
    db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM people WHERE ${w}`, params),
    db.all<Record<string, unknown>>(
      `SELECT id, canonical_name, emails, email_count, meeting_count, message_count, mention_count, call_count, strength, last_interaction_at
       FROM people WHERE ${w} ORDER BY ${orderBy(p.sort, p.dir)} LIMIT ? OFFSET ?`,
      [...params, p.limit, (p.page - 1) * p.limit],
    ),
  ]);
  const num = (v: unknown) => (v == null ? null : Number(v));
  return {
    total: Number(count?.n ?? 0),
    page: p.page,
    limit: p.limit,
    people: rows.map((r) => {
      const counts = Object.fromEntries(CHANNELS.map((c) => [c, Number(r[`${c}_count`])])) as PeopleRow['counts'];
      return {
        id: String(r.id),
        name: String(r.canonical_name ?? ''),
        email: (JSON.parse(String(r.emails ?? '[]')) as string[])[0] ?? null,
        counts,
        total: Object.values(counts).reduce((a, b) => a + b, 0),
        strength: num(r.strength),
        lastInteractionAt: num(r.last_interaction_at),
      };
    }),
  };
}

export interface PersonPage extends Omit<PersonDetail, 'recentInteractions'> {
  total: number;
  contacts: { contactId: string; name: string; version: number; lastUpdated: number; lastUpdatedBy: string; deletedAt: number | null }[];
}

/** One person: identities (source entities), counts per channel, strength, people most often with, linked contacts. */
export async function personPage(db: Db, id: string): Promise<PersonPage> {
  const { recentInteractions: _r, ...p } = await getPerson(db, id);
  const contacts = await db.all<Record<string, unknown>>(
    'SELECT contact_id, canonical_name, version, last_updated, last_updated_by, deleted_at FROM contacts WHERE person_id = ? ORDER BY deleted_at IS NOT NULL, contact_id',
    [id],
  );
  const c: PersonSummary['counts'] = p.counts;
  return {
    ...p,
    total: c.email + c.meeting + c.message + c.mention + c.call,
    contacts: contacts.map((r) => ({
      contactId: String(r.contact_id),
      name: String(r.canonical_name),
      version: Number(r.version),
      lastUpdated: Number(r.last_updated),
      lastUpdatedBy: String(r.last_updated_by),
      deletedAt: r.deleted_at == null ? null : Number(r.deleted_at),
    })),
  };
}

async function assertPerson(db: Db, id: string): Promise<void> {
  if (!(await db.get('SELECT 1 AS x FROM people WHERE id = ?', [id]))) throw new NotFoundError(`person ${id} not found`);
}

export interface TimelineItem {
  id: number;
  sourceType: string;
  externalId: string;
  occurredAt: number;
  title: string;
  snippet: string | null;
  conversationKey: string | null;
  /** The source entity (`source:external_id`) the interaction came through: the link back to where it was found. */
  entityRef: string | null;
}

/** Newest first, keyset-paged by (occurred_at, id): `next` is the cursor of the following page, null at the end. */
export async function personTimeline(db: Db, id: string, opts: { before?: number; beforeId?: number; limit: number }): Promise<{ items: TimelineItem[]; next: { before: number; before_id: number } | null }> {
  await assertPerson(db, id);
  const params: (string | number)[] = [id];
  let cond = '';
  if (opts.before !== undefined) {
    cond = opts.beforeId !== undefined ? ' AND (occurred_at < ? OR (occurred_at = ? AND id < ?))' : ' AND occurred_at < ?';
    params.push(opts.before, ...(opts.beforeId !== undefined ? [opts.before, opts.beforeId] : []));
  }
  const rows = await db.all<Record<string, unknown>>(
    `SELECT id, source_type, external_id, occurred_at, title, snippet, conversation_key, entity_ref FROM interactions
     WHERE person_id = ?${cond} ORDER BY occurred_at DESC, id DESC LIMIT ?`,
    [...params, opts.limit + 1],
  );
  const items = rows.slice(0, opts.limit).map((r) => ({
    id: Number(r.id),
    sourceType: String(r.source_type),
    externalId: String(r.external_id),
    occurredAt: Number(r.occurred_at),
    title: String(r.title ?? ''),
    snippet: (r.snippet as string | null) ?? null,
    conversationKey: (r.conversation_key as string | null) ?? null,
    entityRef: (r.entity_ref as string | null) ?? null,
  }));
  const last = items[items.length - 1];
  return { items, next: rows.length > opts.limit && last ? { before: last.occurredAt, before_id: last.id } : null };
}

/** Interactions per month by channel: counted per day in SQL, folded into months by a pure function. */
export async function personMonthly(db: Db, id: string): Promise<MonthlySeries> {
  await assertPerson(db, id);
  const rows = await db.all<{ source_type: string; day: number; n: number }>(
    `SELECT source_type, (occurred_at / 86400000) * 86400000 AS day, COUNT(*) AS n FROM interactions WHERE person_id = ? GROUP BY source_type, (occurred_at / 86400000)`,
    [id],
  );
  return monthlyByChannel(rows.map((r) => ({ sourceType: r.source_type, occurredAt: Number(r.day), n: Number(r.n) })));
}
