import { contentHash } from '../hub/domain/content-hash.js';
import type { CanonicalContact, ContactFields, GraphContext } from '../hub/domain/canonical-contact.js';
import type { Hub } from '../hub/hub-context.js';
import type { SystemContact } from '../hub/ports/contact-system.js';
import { applyRecords, type BatchWrite } from '../hub/services/inbound-batch.service.js';
import { applyRecord } from '../hub/services/inbound.service.js';
import { enqueueFanout, type FanoutItem } from '../hub/services/propagation.service.js';
import { applyCategoryRules } from './category-rules.service.js';
import { openThreadsByPerson, type OpenThread } from './open-threads.js';
import { buildGraphContext, graphFields, isPromoted, promotableFields, promotionHash, strengthBucket } from './person-contact.builder.js';
import type { PersonGraph } from './person-graph.js';
import { entitySources, type GraphInput, inAddressBook, livePeople, type PersonRow, readPersonGraphs, recentConversationTails, totalOf } from './person-graph.reader.js';
import { contactIdForPerson, getPersonContacts, linkLocalContacts, newlyMerged, type PersonContactRow, savePersonContact, savePersonContacts } from './person-contacts.store.js';
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
  /** People read and written at once: their graphs, and their contacts in one transaction (default 250). */
  writeBatch?: number;
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
/** People read and written at once: their graphs together (readPersonGraphs), one lock batch, one read and one transaction for their contacts. */
const WRITE_BATCH = 250;

/**
 * A person's record from the system `kith`. `deletedAt`: an instant soft-deletes, null restores,
 * 'keep' leaves the record's state as it is (a delete made in a system stays).
 */
function recordOf(at: string, personId: string, contactId: string, fields: Partial<ContactFields>, deletedAt: string | null | 'keep', current: CanonicalContact | undefined): SystemContact {
  return {
    system: 'kith',
    externalId: personId,
    contactId,
    fields,
    ...(current ? { version: current.sync_metadata.version + 1 } : {}),
    updatedAt: at,
    deletedAt: deletedAt === 'keep' ? (current?.deleted_at ?? null) : deletedAt,
  };
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

  /** One person's contact on its own (applyRecord); see recordOf for `deletedAt`. */
  const write = async (personId: string, contactId: string, fields: Partial<ContactFields>, deletedAt: string | null | 'keep') => {
    const current = await hub.systems.canonical.get(contactId);
    if (!current && deletedAt !== null && deletedAt !== 'keep') return 'unchanged' as const;
    const r = await applyRecord(hub, recordOf(at, personId, contactId, fields, deletedAt, current), { fanout: false });
    if (r.action === 'created' || r.action === 'updated') {
      fanout.push({ contactId, version: r.version });
      return r.action;
    }
    return 'unchanged' as const;
  };
  const count = (a: 'created' | 'updated' | 'unchanged') => void (res[a] += 1);
  const fail = (personId: string, err: unknown) => {
    res.failed++;
    if (res.errors.length < 10) res.errors.push(`${personId}: ${(err as Error).message}`);
    hub.log.warn({ err, personId }, `promotion of person ${personId} failed`);
  };
  type Saved = Omit<PersonContactRow, 'changed'>;
  /** A person whose contact is written: what the graph says, and what to record once it is. */
  interface Planned {
    row: PersonRow;
    contactId: string;
    fields: Partial<ContactFields>;
    ctx: GraphContext;
    restoring: boolean;
    saved: Saved;
  }
  const counted = (p: Planned, action: 'created' | 'updated' | 'unchanged') => {
    if (p.restoring) res.restored++;
    else count(action);
  };

  /** The graphs of a chunk's people, read at once; should that fail, each alone, so one bad person costs only itself. */
  const readGraphs = async (people: readonly GraphInput[]): Promise<Map<string, PersonGraph>> => {
    try {
      return await readPersonGraphs(hub.db, people, now);
    } catch {
      const out = new Map<string, PersonGraph>();
      for (const p of people) {
        try {
          out.set(p.row.id, (await readPersonGraphs(hub.db, [p], now)).get(p.row.id)!);
        } catch (err) {
          fail(p.row.id, err);
        }
      }
      return out;
    }
  };

  /**
   * One chunk of people: their graphs read at once, then their contacts written at once through
   * the hub (applyRecords: one lock batch, one read, and one transaction holding the records,
   * their links, outbox rows and the people's person_contacts rows). Should the batch fail as a
   * whole, each person is written on its own, so one bad record costs only its own person.
   */
  const promoteChunk = async (chunk: readonly PersonRow[]): Promise<void> => {
    const todo: { row: PersonRow; src: string[]; pc: PersonContactRow | undefined; fp: string }[] = [];
    for (const row of chunk) {
      const pc = known.get(row.id);
      const src = sources.get(row.id) ?? [];
      if (!pc && !forced.has(row.id) && !isPromoted(rule, { inAddressBook: inAddressBook(src), interactions: totalOf(row) })) continue;
      res.considered++;
      const fp = fingerprint(row, src);
      if (pc && pc.input_hash === fp && !pc.changed && pc.merged_into_contact == null) continue;
      todo.push({ row, src, pc, fp });
    }
    if (!todo.length) return;
    tails ??= recentConversationTails(hub.db, now).then(openThreadsByPerson);
    let threads: Map<string, OpenThread[]>;
    try {
      threads = await tails;
    } catch (err) {
      for (const t of todo) fail(t.row.id, err);
      return;
    }
    const graphs = await readGraphs(todo.map(({ row, src }) => ({ row, sources: src, openThreads: threads.get(row.id) ?? [] })));
    const unchanged: Saved[] = [];
    const plans: Planned[] = [];
    for (const { row, pc, fp } of todo) {
      const graph = graphs.get(row.id);
      if (!graph) continue;
      const fields = graphFields(graph);
      const ctx = buildGraphContext(graph);
      const hash = promotionHash(fields, ctx);
      const contactId = pc?.contact_id ?? contactIdForPerson(row.id);
      const restoring = pc?.merged_into_contact != null;
      const saved: Saved = { person_id: row.id, contact_id: contactId, input_hash: fp, content_hash: hash, merged_into_contact: null, promoted_at: now };
      if (pc && pc.content_hash === hash && !restoring) {
        count('unchanged');
        unchanged.push(saved);
      } else plans.push({ row, contactId, fields, ctx, restoring, saved });
    }
    // What was written is recorded with it; the rest of the chunk right after (a crash in between
    // only makes the next promotion look at those people again and find their contact unchanged).
    let committed: readonly BatchWrite[] = [];
    let currents = new Map<string, CanonicalContact>();
    const done: Saved[] = [];
    /** Each person's contact on its own path (applyRecord, as a webhook's record): one person, or a batch that failed. */
    const oneByOne = async (rest: readonly Planned[]) => {
      for (const p of rest) {
        try {
          const current = await hub.systems.canonical.get(p.contactId);
          counted(p, await write(p.row.id, p.contactId, promotableFields(p.fields, p.ctx, current, hub.systems.ownership), p.restoring ? null : 'keep'));
          done.push(p.saved);
        } catch (e) {
          fail(p.row.id, e);
        }
      }
    };
    if (plans.length <= 1) await oneByOne(plans);
    else {
      try {
        currents = await hub.systems.canonical.getMany(plans.map((p) => p.contactId));
        const records = plans.map((p) => recordOf(at, p.row.id, p.contactId, promotableFields(p.fields, p.ctx, currents.get(p.contactId), hub.systems.ownership), p.restoring ? null : 'keep', currents.get(p.contactId)));
        const outcomes = await applyRecords(hub, records, {
          fanout: false,
          alongside: async (q, written) => {
            await savePersonContacts(q, [...written.map((w) => plans[w.index]!.saved), ...unchanged]);
            committed = written;
          },
        });
        const inTx = new Set(committed.map((w) => w.index));
        outcomes.forEach((r, k) => {
          const p = plans[k]!;
          if (r.action === 'created' || r.action === 'updated') fanout.push({ contactId: r.contactId, version: r.version });
          counted(p, r.action === 'created' || r.action === 'updated' ? r.action : 'unchanged');
          if (!inTx.has(k)) done.push(p.saved);
        });
      } catch (err) {
        hub.log.warn({ err, people: plans.length }, 'promotion: a batch of contacts could not be written at once; writing them one by one');
        // Those the batch's transaction wrote (and recorded) before the failure are done.
        const inTx = new Map(committed.map((w) => [w.index, w]));
        for (const [k, p] of plans.entries()) {
          const w = inTx.get(k);
          if (!w) continue;
          fanout.push({ contactId: w.contactId, version: w.version });
          counted(p, currents.has(p.contactId) ? 'updated' : 'created');
        }
        await oneByOne(plans.filter((_, k) => !inTx.has(k)));
      }
    }
    if (!committed.length) done.push(...unchanged);
    if (done.length) await hub.db.tx((q) => savePersonContacts(q, done));
  };
  const chunk = Math.max(1, o.writeBatch ?? WRITE_BATCH);
  for (let i = 0; i < rows.length; i += chunk) await promoteChunk(rows.slice(i, i + chunk));

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
