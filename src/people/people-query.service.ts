import type { Db } from '../db/db.js';
import { decodeSources } from '../domain/people/source-mapping.js';
import { NotFoundError } from '../errors.js';
import type { InteractionSourceType } from '../sources/source-event.js';

/** Read side for the CLI and HTTP: people with their counts, one person in full, the review list. */
export interface PersonSummary {
  id: string;
  name: string;
  emails: string[];
  phones: string[];
  company: string | null;
  jobTitle: string | null;
  category: string | null;
  counts: { email: number; meeting: number; message: number; mention: number; call: number };
  sources: InteractionSourceType[];
  firstInteractionAt: number | null;
  lastInteractionAt: number | null;
  strength: number | null;
  mergedInto: string | null;
}

type PersonRow = Record<string, unknown>;

function summary(r: PersonRow): PersonSummary {
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: String(r.id),
    name: String(r.canonical_name ?? ''),
    emails: JSON.parse(String(r.emails ?? '[]')) as string[],
    phones: JSON.parse(String(r.phones ?? '[]')) as string[],
    company: (r.company as string | null) ?? null,
    jobTitle: (r.job_title as string | null) ?? null,
    category: (r.category_code as string | null) ?? null,
    counts: { email: Number(r.email_count), meeting: Number(r.meeting_count), message: Number(r.message_count), mention: Number(r.mention_count), call: Number(r.call_count) },
    sources: decodeSources(Number(r.source_mask)),
    firstInteractionAt: n(r.first_interaction_at),
    lastInteractionAt: n(r.last_interaction_at),
    strength: n(r.strength),
    mergedInto: (r.merged_into as string | null) ?? null,
  };
}

const ORDER = {
  interactions: '(email_count + meeting_count + message_count + mention_count + call_count) DESC, id',
  recent: 'last_interaction_at DESC, id',
  strength: 'strength DESC, id',
  name: 'name_key, id',
} as const;
export type PeopleOrder = keyof typeof ORDER;

export async function listPeople(db: Db, opts: { limit?: number; offset?: number; search?: string; order?: PeopleOrder } = {}): Promise<PersonSummary[]> {
  const where = ['merged_into IS NULL'];
  const params: (string | number)[] = [];
  if (opts.search) {
    where.push('(name_key LIKE ? OR emails LIKE ? OR phones LIKE ?)');
    const like = `%${opts.search.toLowerCase().replace(/[%_]/g, '')}%`;
    params.push(like, like, like);
  }
  const order = ORDER[opts.order ?? 'interactions'];
  const nulls = db.engine === 'postgres' && order.includes('DESC') ? order.replace('DESC', 'DESC NULLS LAST') : order;
  const rows = await db.all<PersonRow>(`SELECT * FROM people WHERE ${where.join(' AND ')} ORDER BY ${nulls} LIMIT ? OFFSET ?`, [...params, opts.limit ?? 50, opts.offset ?? 0]);
  return rows.map(summary);
}

export interface PersonDetail extends PersonSummary {
  entities: { id: string; source: string; externalId: string; emails: string[]; phones: string[]; handles: string[]; names: string[]; pinned: boolean }[];
  recentInteractions: { id: number; sourceType: string; externalId: string; occurredAt: number; title: string }[];
  relationships: { personId: string; name: string; events: number; threads: number; messages: number; lastSeenAt: number | null }[];
}

export async function getPerson(db: Db, id: string): Promise<PersonDetail> {
  const row = await db.get<PersonRow>('SELECT * FROM people WHERE id = ?', [id]);
  if (!row) throw new NotFoundError(`person ${id} not found`);
  const ents = await db.all<PersonRow>('SELECT * FROM source_entities WHERE person_id = ? ORDER BY source, external_id', [id]);
  const inter = await db.all<PersonRow>('SELECT id, source_type, external_id, occurred_at, title FROM interactions WHERE person_id = ? ORDER BY occurred_at DESC, id DESC LIMIT 10', [id]);
  const rels = await db.all<PersonRow>(
    `SELECT CASE WHEN r.person_a = ? THEN r.person_b ELSE r.person_a END AS other, p.canonical_name, r.shared_events_count, r.shared_threads_count, r.shared_messages_count, r.last_seen_at
     FROM relationships r JOIN people p ON p.id = CASE WHEN r.person_a = ? THEN r.person_b ELSE r.person_a END
     WHERE r.person_a = ? OR r.person_b = ?
     ORDER BY (r.shared_events_count + r.shared_threads_count + r.shared_messages_count) DESC LIMIT 10`,
    [id, id, id, id],
  );
  const arr = (v: unknown) => JSON.parse(String(v ?? '[]')) as string[];
  return {
    ...summary(row),
    entities: ents.map((e) => ({
      id: `${e.source}:${e.external_id}`,
      source: String(e.source),
      externalId: String(e.external_id),
      emails: arr(e.emails),
      phones: arr(e.phones),
      handles: arr(e.handles),
      names: arr(e.names),
      pinned: Number(e.pinned) === 1,
    })),
    recentInteractions: inter.map((i) => ({ id: Number(i.id), sourceType: String(i.source_type), externalId: String(i.external_id), occurredAt: Number(i.occurred_at), title: String(i.title) })),
    relationships: rels.map((r) => ({
      personId: String(r.other),
      name: String(r.canonical_name ?? ''),
      events: Number(r.shared_events_count),
      threads: Number(r.shared_threads_count),
      messages: Number(r.shared_messages_count),
      lastSeenAt: r.last_seen_at === null ? null : Number(r.last_seen_at),
    })),
  };
}

export interface ReviewItem {
  id: string;
  entity: string;
  candidates: { id: string; name: string }[];
  reason: string;
  createdAt: number;
}

export async function listReviews(db: Db): Promise<ReviewItem[]> {
  const rows = await db.all<PersonRow>("SELECT * FROM link_reviews WHERE status = 'open' ORDER BY created_at, id");
  const names = new Map((await db.all<{ id: string; canonical_name: string }>('SELECT id, canonical_name FROM people')).map((p) => [p.id, p.canonical_name]));
  return rows.map((r) => ({
    id: String(r.id),
    entity: `${r.source}:${r.external_id}`,
    candidates: (JSON.parse(String(r.candidates)) as string[]).map((id) => ({ id, name: names.get(id) ?? '' })),
    reason: String(r.reason),
    createdAt: Number(r.created_at),
  }));
}
