import type { CanonicalContact } from '../domain/canonical-contact.js';
import { type ContactRef, type ContactSystem, readCopies, type SystemContact, type UpsertOutcome } from '../ports/contact-system.js';
import { type ContactLink, getLinksFor, type LinkWrite, recordLinks } from '../stores/contact-links.store.js';
import { markPropagatedMany } from '../stores/contact-outbox.store.js';
import { NotFoundError } from '../../errors.js';
import { recordSuccess } from '../../sync/sync-state.store.js';
import type { Hub } from '../hub-context.js';
import type { TargetSystem } from '../jobs/hub-queues.js';
import { withContactLocks } from '../stores/contact-lock.store.js';
import { expectEchoes, sendsWebhooks } from '../stores/echo-intents.store.js';
import { applyRecord } from './inbound.service.js';
import type { FanoutItem } from './propagation.service.js';
import { linkHashFor, linkHashOf } from '../domain/link-hash.js';
import { readCanonicalMany } from '../ports/hub-systems.js';
import { allowDeletes } from '../stores/delete-valve.store.js';

/**
 * A target's job: write the canonical records a fan-out names to one system (contacts-to-<target>).
 * Planned from Kith's links (skip what the target holds), guarded for webhook-driven changes (never
 * overwrite a copy edited in the target since Kith wrote it), and recorded (links, outbox) after.
 * Enqueueing fan-outs is propagation.service.ts.
 */

export interface PushResult {
  target: TargetSystem;
  written: number;
  skipped: number;
  missing: number;
}

/** Whether `system` already holds `c` (its hash for that system is `hash`), judged by what Kith last wrote there (no read from the system). */
function alreadyHolds(system: ContactSystem, c: CanonicalContact, hash: string, link: { lastHash: string | null; lastVersion: number | null } | undefined): boolean {
  if (!link || link.lastHash !== hash) return false;
  // A system that keeps versions must not lag behind the record (higher version wins later); one that keeps none (Twenty) holds it by content.
  return !system.keepsVersion || (link.lastVersion ?? 0) >= c.sync_metadata.version;
}

/**
 * Before overwriting a target's copies (webhook-driven pushes; sweep batches skip this), make sure
 * none changed since Kith last wrote it (an edit there whose event is still on its way): such a
 * copy goes through the reverse path first. If it wins, the canonical record gets a new version
 * whose own fan-out carries it, so this stale write is dropped; if it conflicts, nothing
 * overwrites it until a person decides. Without this a propagation racing a user's edit in the
 * target would overwrite that edit, and the edit's webhook would then look like an echo.
 *
 * A target that can compare-and-set (`upsertUnlessChanged`: Supabase's kith_push_contacts) does
 * the check and the write in one request, under the rows' locks, and hands back the copies whose
 * version moved on; those are judged like copies read beforehand. Any other target (Twenty) has
 * its copies read in one request first, then written (a race inside that gap remains possible).
 */
async function guardedWrite(hub: Hub, target: TargetSystem, plan: PushPlan): Promise<UpsertOutcome[]> {
  const system = hub.systems.targets.get(target)!;
  const { due, links, externalIds } = plan;
  const expected = system.upsertUnlessChanged ? expectedVersions(due, links) : undefined;
  if (system.upsertUnlessChanged && expected) {
    const done = await system.upsertUnlessChanged(due, expected);
    if (done) {
      if (!done.changed.size) return done.outcomes;
      const { keep, read } = await judgeCopies(hub, plan, due.filter((c) => done.changed.has(c.contact_id)), done.changed);
      return [...done.outcomes, ...(keep.length ? await system.upsertMany(keep, externalIds, { read }) : [])];
    }
  }
  const refs: ContactRef[] = due.filter((c) => links.has(c.contact_id)).map((c) => ({ contactId: c.contact_id, externalId: externalIds.get(c.contact_id) }));
  const { keep, read } = await judgeCopies(hub, plan, due, await readCopies(system, refs));
  return keep.length ? system.upsertMany(keep, externalIds, { read }) : [];
}

/** The version Kith last wrote or read for each linked contact; undefined when a link lacks one (then only a read can tell). */
function expectedVersions(due: readonly CanonicalContact[], links: ReadonlyMap<string, ContactLink>): Map<string, number> | undefined {
  const out = new Map<string, number>();
  for (const c of due) {
    const link = links.get(c.contact_id);
    if (!link) continue;
    if (link.lastVersion == null) return undefined;
    out.set(c.contact_id, link.lastVersion);
  }
  return out;
}

/**
 * Which of `candidates` to write, given the target's current `copies`: a copy that differs both
 * from what Kith last wrote there and from what it is about to write was edited in the target, and
 * is merged first (applyRecord, under the locks already held); unless that merge changed the
 * canonical record or recorded a conflict, the contact is written. `read` says what was learnt
 * (true: a copy exists and differs; false: none), so upsertMany need not read the same rows again.
 */
async function judgeCopies(hub: Hub, plan: PushPlan, candidates: readonly CanonicalContact[], copies: ReadonlyMap<string, SystemContact>): Promise<{ keep: CanonicalContact[]; read: Map<string, boolean> }> {
  const { links, hashes } = plan;
  const keep: CanonicalContact[] = [];
  const read = new Map<string, boolean>();
  for (const c of candidates) {
    const link = links.get(c.contact_id);
    if (!link) {
      keep.push(c);
      continue;
    }
    const copy = copies.get(c.contact_id);
    const copyHash = copy && linkHashOf(copy);
    const ours = hashes.get(c.contact_id);
    if (copy && copyHash !== link.lastHash && copyHash !== ours) {
      const out = await applyRecord(hub, { ...copy, contactId: c.contact_id }, { locked: true, origin: 'push-check' });
      if (out.action === 'created' || out.action === 'updated' || out.action === 'conflict') continue;
    }
    if (!copy) read.set(c.contact_id, false);
    else if (copyHash !== ours) read.set(c.contact_id, true);
    keep.push(c);
  }
  return { keep, read };
}

/** What one push has to do: the canonical records, what the target holds per Kith's links, and which records are due. */
interface PushPlan {
  records: Map<string, CanonicalContact>;
  links: Map<string, ContactLink>;
  externalIds: Map<string, string>;
  /** Each record's hash as the target will hold it (linkHashFor), computed once per push. */
  hashes: Map<string, string>;
  due: CanonicalContact[];
  skipped: number;
}

function targetSystem(hub: Hub, target: TargetSystem): ContactSystem {
  const system = hub.systems.targets.get(target);
  if (!system) throw new NotFoundError(`${target} is not configured as a contact target in this process`);
  return system;
}

async function planPush(hub: Hub, target: TargetSystem, ids: readonly string[]): Promise<PushPlan> {
  const system = targetSystem(hub, target);
  const [records, links] = await Promise.all([readCanonicalMany(hub.systems.canonical, ids), getLinksFor(hub.db, ids, target)]);
  const externalIds = new Map<string, string>();
  const hashes = new Map<string, string>();
  const due: CanonicalContact[] = [];
  let skipped = 0;
  for (const id of ids) {
    const c = records.get(id);
    if (!c) continue;
    const hash = linkHashFor(system, c);
    hashes.set(id, hash);
    const link = links.get(id);
    if (link) externalIds.set(id, link.externalId);
    if (alreadyHolds(system, c, hash, link)) skipped++;
    else due.push(c);
  }
  return { records, links, externalIds, hashes, due, skipped };
}

/**
 * One target's job: read the canonical records (always the current version, which covers the
 * one enqueued), skip those the target already holds, upsert the rest in one call, then record
 * the links (hash + version, the echo-suppression state) and close the outbox rows in one
 * transaction. Repeating it is harmless: upserts are keyed by contact id and compare first.
 * `guard` (default: for a single contact) plans and writes under the contacts' locks, like the
 * reverse path, so the guard, the write and the link record cannot interleave with an inbound
 * change, and looks at the target's copies first; the sweep's batches go without (it has just
 * read every system's changes). The locks are taken for every contact of the job at once (one
 * script, all or nothing): one plan, and no window between planning and locking.
 */
export async function pushToTarget(hub: Hub, target: TargetSystem, items: readonly FanoutItem[], opts: { guard?: boolean } = {}): Promise<PushResult> {
  const ids = [...new Set(items.map((i) => i.contactId))];
  if (!(opts.guard ?? ids.length === 1)) return push(hub, target, items, await planPush(hub, target, ids), false);
  return withContactLocks(hub.redis, hub.prefix, ids, async () => push(hub, target, items, await planPush(hub, target, ids), true));
}

async function push(hub: Hub, target: TargetSystem, items: readonly FanoutItem[], plan: PushPlan, guard: boolean): Promise<PushResult> {
  const system = targetSystem(hub, target);
  const { records, externalIds, hashes } = plan;
  const withheld = await deleteValve(hub, target, plan);
  // Intents are sent before the write, so its echo is recognised even if it arrives before the
  // links below are recorded (for every due record: one the guard keeps from this write leaves an
  // intent for content the canonical store held, which loses nothing). They are not waited for:
  // the SET is on the wire before the write's request, and an echo that still beats it goes to
  // the inbound worker, which waits for this push's lock and then finds the link recorded.
  const intents = plan.due.length && sendsWebhooks(target) ? expectEchoes(hub.redis, hub.prefix, target, plan.due.map((c) => ({ contactId: c.contact_id, hash: hashes.get(c.contact_id)!, version: c.sync_metadata.version }))) : undefined;
  intents?.catch(() => undefined); // awaited after the write; a rejection meanwhile is not unhandled
  let outcomes: UpsertOutcome[] = [];
  if (guard && plan.due.length) outcomes = await guardedWrite(hub, target, plan);
  else if (plan.due.length) outcomes = await system.upsertMany(plan.due, externalIds);
  await intents;
  const now = hub.clock();
  const links: LinkWrite[] = [];
  for (const o of outcomes) {
    const c = records.get(o.contactId);
    if (c) links.push({ contactId: o.contactId, system: target, externalId: o.externalId, hash: hashes.get(o.contactId)!, version: c.sync_metadata.version, at: now });
  }
  await hub.db.tx(async (q) => {
    await recordLinks(q, links);
    await markPropagatedMany(q, target, [
      ...[...records].filter(([id]) => !withheld.has(id)).map(([id, c]) => ({ contactId: id, version: c.sync_metadata.version })),
      // A contact missing from the canonical store has nothing to propagate: close its rows too.
      ...items.filter((it) => !records.has(it.contactId)).map((it) => ({ contactId: it.contactId, version: Number.MAX_SAFE_INTEGER })),
    ], now);
    // Last success per target (/health), to the second: not one more page written per job.
    await recordSuccess(q, `contacts-push:${target}`, outcomes.length, { coalesceMs: 1000 });
  });
  const ids = new Set(items.map((i) => i.contactId));
  return { target, written: outcomes.filter((o) => o.action !== 'unchanged').length, skipped: plan.skipped + outcomes.filter((o) => o.action === 'unchanged').length, missing: ids.size - records.size };
}

/**
 * The delete valve (delete-valve.store.ts): deletions of copies the target holds beyond its
 * hourly budget are taken out of this push and stay pending in the outbox, with an alert; the
 * rest of the push goes on. Returns the contacts withheld.
 */
async function deleteValve(hub: Hub, target: TargetSystem, plan: PushPlan): Promise<Set<string>> {
  const deleting = plan.due.filter((c) => c.deleted_at != null && plan.links.has(c.contact_id)).map((c) => c.contact_id);
  if (!deleting.length) return new Set();
  const allowed = await allowDeletes(hub.redis, hub.prefix, hub.db, target, deleting, hub.config.maxDeleteShare ?? 0.1, hub.clock());
  const withheld = new Set(deleting.filter((id) => !allowed.has(id)));
  if (!withheld.size) return withheld;
  plan.due = plan.due.filter((c) => !withheld.has(c.contact_id));
  await hub.alerts.raise({
    kind: 'safety_valve',
    subject: `delete:${target}`,
    message: `${target}: ${withheld.size} deletion(s) held back: more contacts were deleted within an hour than KITH_CONTACTS_MAX_DELETE_SHARE of those ${target} holds; they wait in the outbox (kith contacts show <id>)`,
    details: { target, withheld: withheld.size },
  });
  return withheld;
}
