import type { CountryCode } from 'libphonenumber-js';
import { peopleConfig } from '../config/people.config.js';
import type { Queryable } from '../db/db.js';
import { handleKey, normaliseEmail, normaliseName, normalisePhone, participantKeys, type SelfIdentity, selfMatcher } from '../domain/people/identity.js';
import { InvalidInputError } from '../errors.js';
import type { ContactEvent, ParticipantRef } from '../sources/source-event.js';
import { nameIfUnnamed, recomputeIdentifiers } from './profile.service.js';
import { inList, newId } from './sql-support.js';

/**
 * Phase 1 identity resolution: find or create the person behind each participant, recording a
 * source entity (source, entity key) → person with the raw identifiers that linked it.
 *
 *   existing entity            → its person (new identifiers are added to it)
 *   strong keys match 1 person → that person
 *   strong keys match 2+       → the best match (first key in handle/email/phone order, then the
 *                                oldest person) and a review item; never merged automatically
 *   no strong match            → a new person; a name-only participant links to an existing
 *                                person only when exactly one live person has that exact name
 * Entities that are themselves awaiting review are not evidence for anyone else.
 *
 * Call inside `db.tx`: on PostgreSQL, creation takes transaction-scoped advisory locks on the
 * keys so concurrent processes never create two people for one address; on SQLite the
 * transaction's write lock does the same.
 */
export interface EntityDraft {
  source: string;
  externalId: string;
  emails: string[];
  phones: string[];
  handles: string[];
  names: string[];
}

export function strongKeys(d: Pick<EntityDraft, 'source' | 'emails' | 'phones' | 'handles'>): string[] {
  return [...d.handles.map((h) => handleKey(d.source, h)), ...d.emails.map((e) => `email:${e}`), ...d.phones.map((p) => `phone:${p}`)];
}

function draftFromRef(source: string, ref: ParticipantRef, region: CountryCode): EntityDraft | null {
  const k = participantKeys(source, ref, region);
  if (!k.entityKey) return null;
  const handle = ref.handle?.trim();
  return { source, externalId: k.entityKey, emails: k.email ? [k.email] : [], phones: k.phone ? [k.phone] : [], handles: handle ? [handle] : [], names: k.name ? [k.name] : [] };
}

/** Person ids for `refs`, in order; null for self. Participants without any identifier are an error. */
export async function resolveParticipants(q: Queryable, source: string, refs: readonly ParticipantRef[], self: SelfIdentity): Promise<(string | null)[]> {
  const region = peopleConfig().phoneRegion;
  const isSelf = selfMatcher(self, region);
  const drafts = refs.map((ref, i) => {
    if (isSelf(ref)) return null;
    const d = draftFromRef(source, ref, region);
    if (!d) throw new InvalidInputError(`participants[${i}]: no email, phone, handle or name to identify the participant`);
    return d;
  });
  const keys = [...new Set(drafts.filter((d): d is EntityDraft => !!d).map((d) => d.externalId))];
  const known = new Map<string, EntityRow>();
  if (keys.length > 0) {
    const l = inList(q, 'external_id', keys);
    const rows = await q.all<EntityRow>(`SELECT ${ENTITY_COLS} FROM source_entities WHERE source = ? AND ${l.sql}`, [source, ...l.params]);
    for (const r of rows) known.set(r.external_id, r);
  }
  // Every entity new to this batch is linked under its identity locks. Take them all now, in one
  // global order: taken entity by entity, two batches collected at once (a mailbox and a calls
  // backup meeting on a name) would take them in their own orders and deadlock.
  await advisoryLocks(q, drafts.flatMap((d) => (d && !known.has(d.externalId) ? linkLockKeys(d) : [])));
  const out: (string | null)[] = [];
  const done = new Map<string, string>();
  for (const d of drafts) {
    if (!d) {
      out.push(null);
      continue;
    }
    let personId = done.get(d.externalId);
    if (!personId) {
      const hit = known.get(d.externalId);
      personId = hit ? await enrichEntity(q, hit, d) : await linkEntity(q, d, true);
      done.set(d.externalId, personId);
    }
    out.push(personId);
  }
  return out;
}

/**
 * A contact card or connection: creates or enriches a person (names, emails, phones, company,
 * title), no interaction. Its name, company and title win over what interactions suggested.
 * Returns the person id, or null when the card is self's own.
 */
export async function upsertContactPerson(q: Queryable, event: ContactEvent, self: SelfIdentity): Promise<string | null> {
  const region = peopleConfig().phoneRegion;
  const emails = [...new Set(event.emails.map(normaliseEmail).filter((e): e is string => !!e))];
  const phones = [...new Set(event.phones.map((p) => normalisePhone(p, region)).filter((p): p is string => !!p))];
  const isSelf = selfMatcher(self, region);
  if (emails.some((email) => isSelf({ email })) || phones.some((phone) => isSelf({ phone }))) return null;
  const name = event.name?.trim() ?? '';
  const handles = [...new Set((event.handles ?? []).map((h) => h.trim()).filter(Boolean))];
  if (!emails.length && !phones.length && !handles.length && !normaliseName(name)) {
    throw new InvalidInputError(`contact ${event.sourceType}:${event.externalId}: no name, email, phone or handle`);
  }
  const d: EntityDraft = { source: event.sourceType, externalId: event.externalId, emails, phones, handles, names: name ? [name] : [] };
  const row = await q.get<EntityRow>(`SELECT ${ENTITY_COLS} FROM source_entities WHERE source = ? AND external_id = ?`, [d.source, d.externalId]);
  const personId = row ? await enrichEntity(q, row, d) : await linkEntity(q, d);
  const now = Date.now();
  await nameIfUnnamed(q, personId, name, true, now);
  if (event.company || event.jobTitle) {
    await q.run(
      `UPDATE people SET company = COALESCE(?, company), job_title = COALESCE(?, job_title), updated_at = ?
       WHERE id = ? AND (COALESCE(company, '') <> COALESCE(?, company, '') OR COALESCE(job_title, '') <> COALESCE(?, job_title, ''))`,
      [event.company ?? null, event.jobTitle ?? null, now, personId, event.company ?? null, event.jobTitle ?? null],
    );
  }
  return personId;
}

interface EntityRow {
  external_id: string;
  person_id: string;
  emails: string;
  phones: string;
  handles: string;
  names: string;
}
const ENTITY_COLS = 'external_id, person_id, emails, phones, handles, names';

/** Add identifiers the entity did not have yet; cheap no-op when there are none. */
async function enrichEntity(q: Queryable, row: EntityRow, d: EntityDraft): Promise<string> {
  const cur = { emails: JSON.parse(row.emails) as string[], phones: JSON.parse(row.phones) as string[], handles: JSON.parse(row.handles) as string[], names: JSON.parse(row.names) as string[] };
  const add = (have: string[], more: string[]) => more.filter((m) => !have.includes(m));
  const extra = { emails: add(cur.emails, d.emails), phones: add(cur.phones, d.phones), handles: add(cur.handles, d.handles), names: add(cur.names, d.names) };
  if (!extra.emails.length && !extra.phones.length && !extra.handles.length && !extra.names.length) return row.person_id;
  const now = Date.now();
  await q.run('UPDATE source_entities SET emails = ?, phones = ?, handles = ?, names = ?, updated_at = ? WHERE source = ? AND external_id = ?', [
    JSON.stringify([...cur.emails, ...extra.emails]),
    JSON.stringify([...cur.phones, ...extra.phones]),
    JSON.stringify([...cur.handles, ...extra.handles]),
    JSON.stringify([...cur.names, ...extra.names]),
    now,
    d.source,
    d.externalId,
  ]);
  await insertKeys(q, d.source, d.externalId, strongKeys({ source: d.source, ...extra }));
  await recomputeIdentifiers(q, [row.person_id], now);
  await nameIfUnnamed(q, row.person_id, d.names[0], false, now);
  return row.person_id;
}

/** The advisory locks linking `d` takes: its entity, its strong keys and its name. */
function linkLockKeys(d: EntityDraft): string[] {
  const nameKey = d.names[0] ? normaliseName(d.names[0]) : '';
  return [`entity:${d.source}:${d.externalId}`, ...strongKeys(d), ...(nameKey ? [`name:${nameKey}`] : [])];
}

/** Links a new entity to a person under its identity locks (`locked`: the caller holds them already). */
async function linkEntity(q: Queryable, d: EntityDraft, locked = false): Promise<string> {
  const strong = strongKeys(d);
  const nameKey = d.names[0] ? normaliseName(d.names[0]) : '';
  if (!locked) await advisoryLocks(q, linkLockKeys(d));
  const again = await q.get<EntityRow>(`SELECT ${ENTITY_COLS} FROM source_entities WHERE source = ? AND external_id = ?`, [d.source, d.externalId]);
  if (again) return enrichEntity(q, again, d);

  const now = Date.now();
  const candidates = await candidatesFor(q, strong);
  let personId: string;
  if (candidates.length > 0) {
    personId = candidates[0]!;
    if (candidates.length > 1) await addReview(q, d.source, d.externalId, candidates, `identifiers match ${candidates.length} different people`, now);
  } else if (strong.length === 0 && nameKey) {
    const byName = await q.all<{ id: string }>('SELECT id FROM people WHERE name_key = ? AND merged_into IS NULL LIMIT 2', [nameKey]);
    personId = byName.length === 1 ? byName[0]!.id : await createPerson(q, d.names[0] ?? '', now);
  } else personId = await createPerson(q, d.names[0] ?? '', now);

  await q.run(
    `INSERT INTO source_entities (source, external_id, person_id, emails, phones, handles, names, pinned, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
    [d.source, d.externalId, personId, JSON.stringify(d.emails), JSON.stringify(d.phones), JSON.stringify(d.handles), JSON.stringify(d.names), now, now],
  );
  await insertKeys(q, d.source, d.externalId, strong);
  await recomputeIdentifiers(q, [personId], now);
  await nameIfUnnamed(q, personId, d.names[0], false, now);
  return personId;
}

export async function createPerson(q: Queryable, name: string, now = Date.now()): Promise<string> {
  const id = newId('p');
  await q.run('INSERT INTO people (id, canonical_name, name_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?)', [id, name.trim(), normaliseName(name), now, now]);
  return id;
}

async function insertKeys(q: Queryable, source: string, externalId: string, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  await q.runMany('INSERT INTO entity_keys (key, source, external_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', keys.map((k) => [k, source, externalId]));
}

/** Live people holding any of `keys` through an entity not awaiting review, best match first. */
export async function candidatesFor(q: Queryable, keys: readonly string[], exclude?: { source: string; externalId: string }): Promise<string[]> {
  if (keys.length === 0) return [];
  const l = inList(q, 'k.key', keys);
  const rows = await q.all<{ key: string; person_id: string; created_at: number }>(
    `SELECT DISTINCT k.key, se.person_id, p.created_at
     FROM entity_keys k
     JOIN source_entities se ON se.source = k.source AND se.external_id = k.external_id
     JOIN people p ON p.id = se.person_id
     WHERE ${l.sql} AND p.merged_into IS NULL AND NOT (se.source = ? AND se.external_id = ?)
       AND NOT EXISTS (SELECT 1 FROM link_reviews r WHERE r.source = se.source AND r.external_id = se.external_id AND r.status = 'open')`,
    [...l.params, exclude?.source ?? '', exclude?.externalId ?? ''],
  );
  const rank = (r: { key: string }) => keys.indexOf(r.key);
  rows.sort((a, b) => rank(a) - rank(b) || a.created_at - b.created_at || (a.person_id < b.person_id ? -1 : 1));
  return [...new Set(rows.map((r) => r.person_id))];
}

export async function addReview(q: Queryable, source: string, externalId: string, candidates: string[], reason: string, now = Date.now()): Promise<void> {
  await q.run(
    `INSERT INTO link_reviews (id, source, external_id, candidates, reason, status, created_at) VALUES (?, ?, ?, ?, ?, 'open', ?)
     ON CONFLICT (source, external_id, candidates) DO NOTHING`,
    [newId('r'), source, externalId, JSON.stringify([...candidates].sort()), reason, now],
  );
}

/** Identity locks live in this many advisory lock slots (the two-integer form, in LOCK_SPACE). */
export const IDENTITY_LOCK_SLOTS = 1024;
const LOCK_SPACE = 0x6b697468; // 'kith'

/** The slot of an identity key: FNV-1a over its UTF-16 code units, modulo the slots. */
function lockSlot(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return h % IDENTITY_LOCK_SLOTS;
}

/**
 * PostgreSQL: takes the identity locks of `keys` for the rest of the transaction, in slot order,
 * in one statement. Keys share a bounded number of slots, so a batch linking thousands of new
 * entities holds at most IDENTITY_LOCK_SLOTS locks (one lock per key ran two concurrent batches
 * out of PostgreSQL's lock table: "out of shared memory"); two keys in one slot only queue.
 */
async function advisoryLocks(q: Queryable, keys: string[]): Promise<void> {
  if (q.engine !== 'postgres' || keys.length === 0) return;
  const slots = [...new Set(keys.map(lockSlot))].sort((a, b) => a - b);
  // The set-returning function yields the slots in array order and each row takes its lock as it is produced.
  await q.all(`SELECT pg_advisory_xact_lock(${LOCK_SPACE}, s::int) FROM json_array_elements_text(?::json) AS s`, [JSON.stringify(slots)]);
}
