import { contentHash } from '../hub/domain/content-hash.js';
import type { ContactFields } from '../hub/domain/canonical-contact.js';
import type { Hub } from '../hub/hub-context.js';
import type { SystemContact } from '../hub/ports/contact-system.js';
import { applyRecord } from '../hub/services/inbound.service.js';
import { enqueueFanout, type FanoutItem } from '../hub/services/propagation.service.js';
import { applyCategoryRules } from './category-rules.service.js';
import { openThreadsByPerson, type OpenThread } from './open-threads.js';
import { buildGraphContext, graphFields, isPromoted, promotableFields, promotionHash, strengthBucket } from './person-contact.builder.js';
import { entitySources, inAddressBook, livePeople, type PersonRow, readPersonGraph, recentConversationTails, totalOf } from './person-graph.reader.js';
import { contactIdForPerson, getPersonContacts, linkLocalContacts, newlyMerged, type PersonContactRow, savePersonContact } from './person-contacts.store.js';
import { type CategoryRule, DEFAULT_PROMOTION_RULE, type PromotionRule } from './promotion-config.js';

/**
 * The promotion: the people the rule selects become canonical contacts, through the canonical
 * store and the hub's own fan-out, exactly as an edit made in a system does (the records come
 * from the system `kith`, each person's record under its person id; src/hub/services/inbound.service.ts).
 * Incremental: a person whose graph figures did not move since the last promotion is not read
 * again, and one whose contact content did not change is not written again. A person merged
 * into another has its contact soft-deleted, pointing at the kept contact; an unmerge restores it.
 */
export interface PromotionOptions {
  rule?: PromotionRule;
  categories?: readonly CategoryRule[];
  now?: number;
  /** Contacts per fan-out job. */
  batch?: number;
  /** Only these people (a categorize or a merge carried at once); default: everyone. */
  personIds?: readonly string[];
  /** The folders of the configured vault sources (for category rules by tag). */
  vaults?: readonly string[];
  /** People promoted at once (default 4). */
  concurrency?: number;
}

export interface PromotionResult {
  considered: number;
  created: number;
  updated: number;
  unchanged: number;
  merged: number;
  restored: number;
  categorized: number;
  failed: number;
  errors: string[];
}

const FANOUT_BATCH = 100;
/** People promoted at once: each is a few reads and one write of its own contact, under its own lock. */
const CONCURRENCY = 4;

/** `fn` over `items`, at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
}

/** What decides whether a person's contact may have changed: their row, sources and relationships. */
function fingerprint(r: PersonRow, sources: readonly string[]): string {
  return contentHash({ ...r, strength: strengthBucket(r.strength == null ? null : Number(r.strength)), sources } as never);
}

export async function promoteContacts(hub: Hub, o: PromotionOptions = {}): Promise<PromotionResult> {
  const rule = o.rule ?? DEFAULT_PROMOTION_RULE;
  const now = o.now ?? hub.clock();
  const at = new Date(now).toISOString();
  const res: PromotionResult = { considered: 0, created: 0, updated: 0, unchanged: 0, merged: 0, restored: 0, categorized: 0, failed: 0, errors: [] };
  if (!o.personIds) res.categorized = await applyCategoryRules(hub.db, o.categories ?? [], now, o.vaults);

  const only = o.personIds ? new Set(o.personIds) : undefined;
  const [rows, sources, allMerged] = await Promise.all([livePeople(hub.db, o.personIds), entitySources(hub.db), newlyMerged(hub.db)]);
  const merged = only ? allMerged.filter((m) => only.has(m.person_id)) : allMerged;
  const known = await getPersonContacts(hub.db, rows.map((r) => r.id));
  const roots = await rootsOf(hub, merged.map((m) => m.merged_into));
  const forced = new Set(roots.values());
  const fanout: FanoutItem[] = [];
  let tails: Promise<Map<string, OpenThread[]>> | undefined;

  /** `deletedAt`: an instant soft-deletes, null restores, 'keep' leaves the record's state as it is (a delete made in a system stays). */
  const write = async (personId: string, contactId: string, fields: Partial<ContactFields>, deletedAt: string | null | 'keep') => {
    const current = await hub.systems.canonical.get(contactId);
    if (!current && deletedAt !== null && deletedAt !== 'keep') return 'unchanged' as const;
    const incoming: SystemContact = {
      system: 'kith',
      externalId: personId,
      contactId,
      fields,
      ...(current ? { version: current.sync_metadata.version + 1 } : {}),
      updatedAt: at,
      deletedAt: deletedAt === 'keep' ? (current?.deleted_at ?? null) : deletedAt,
    };
    const r = await applyRecord(hub, incoming, { fanout: false });
    if (r.action === 'created' || r.action === 'updated') {
      fanout.push({ contactId, version: r.version });
      return r.action;
    }
    return 'unchanged' as const;
  };
  const count = (a: 'created' | 'updated' | 'unchanged') => void (res[a] += 1);

  const promoteOne = async (row: PersonRow): Promise<void> => {
    const pc: PersonContactRow | undefined = known.get(row.id);
    const src = sources.get(row.id) ?? [];
    if (!pc && !forced.has(row.id) && !isPromoted(rule, { inAddressBook: inAddressBook(src), interactions: totalOf(row) })) return;
    res.considered++;
    const fp = fingerprint(row, src);
    const restoring = pc?.merged_into_contact != null;
    if (pc && pc.input_hash === fp && !pc.changed && !restoring) return;
    try {
      tails ??= recentConversationTails(hub.db, now).then(openThreadsByPerson);
      const graph = await readPersonGraph(hub.db, row, src, (await tails).get(row.id) ?? [], now);
      const fields = graphFields(graph);
      const ctx = buildGraphContext(graph);
      const hash = promotionHash(fields, ctx);
      const contactId = pc?.contact_id ?? contactIdForPerson(row.id);
      if (pc && pc.content_hash === hash && !restoring) {
        count('unchanged');
      } else {
        const current = await hub.systems.canonical.get(contactId);
        const action = await write(row.id, contactId, promotableFields(fields, ctx, current, hub.systems.ownership), restoring ? null : 'keep');
        if (restoring) res.restored++;
        else count(action);
      }
      saved.push({ person_id: row.id, contact_id: contactId, input_hash: fp, content_hash: hash, merged_into_contact: null, promoted_at: now });
    } catch (err) {
      res.failed++;
      if (res.errors.length < 10) res.errors.push(`${row.id}: ${(err as Error).message}`);
      hub.log.warn({ err, personId: row.id }, `promotion of person ${row.id} failed`);
    }
  };
  // What was written is recorded after it, in few transactions: a crash in between only makes
  // the next promotion look at those people again (their contact is then found unchanged).
  const saved: Omit<PersonContactRow, 'changed'>[] = [];
  await eachLimited(rows, o.concurrency ?? CONCURRENCY, promoteOne);
  for (let i = 0; i < saved.length; i += 500) {
    await hub.db.tx(async (q) => {
      for (const r of saved.slice(i, i + 500)) await savePersonContact(q, r);
    });
  }

  // People merged away: their contact is soft-deleted and points at the contact of the person kept.
  for (const m of merged) {
    const root = roots.get(m.merged_into);
    if (!root) continue;
    try {
      await write(m.person_id, m.contact_id, {}, at);
      const pc = known.get(m.person_id);
      await savePersonContact(hub.db, {
        person_id: m.person_id,
        contact_id: m.contact_id,
        input_hash: null,
        content_hash: pc?.content_hash ?? null,
        merged_into_contact: contactIdForPerson(root),
        promoted_at: now,
      });
      res.merged++;
    } catch (err) {
      res.failed++;
      if (res.errors.length < 10) res.errors.push(`${m.person_id}: ${(err as Error).message}`);
    }
  }

  const size = o.batch ?? FANOUT_BATCH;
  for (let i = 0; i < fanout.length; i += size) {
    await enqueueFanout(hub, fanout.slice(i, i + size), { origin: 'kith-promote', guard: true, pendingMarked: true });
  }
  await linkLocalContacts(hub.db);
  return res;
}

/** The live person each id now resolves to (following merged_into). */
async function rootsOf(hub: Hub, ids: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const id of new Set(ids)) {
    let cur = id;
    for (let hop = 0; hop < 64; hop++) {
      const r = await hub.db.get<{ merged_into: string | null }>('SELECT merged_into FROM people WHERE id = ?', [cur]);
      if (!r) break;
      if (!r.merged_into) {
        out.set(id, cur);
        break;
      }
      cur = r.merged_into;
    }
  }
  return out;
}
