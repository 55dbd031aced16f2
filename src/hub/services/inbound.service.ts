import type { CanonicalContact, SystemName } from '../domain/canonical-contact.js';
import { VersionConflictError } from '../ports/canonical-store.js';
import type { ContactSystem, SystemContact } from '../ports/contact-system.js';
import { findLinkByExternalId, getLink, recordLink } from '../stores/contact-links.store.js';
import { markPropagated } from '../stores/contact-outbox.store.js';
import { conflictSide, recordConflict } from '../stores/sync-conflicts.store.js';
import { carriedRecordSuffices, decideIncoming, type IncomingDecision } from '../domain/contact-merge.js';
import { isEcho, overwrittenSince } from '../domain/echo-detector.js';
import type { Queryable } from '../../db/db.js';
import { NotFoundError } from '../../errors.js';
import { withContactLock } from '../stores/contact-lock.store.js';
import { wroteRecently } from '../stores/echo-intents.store.js';
import { resolveLink } from './echo-check.service.js';
import type { Hub } from '../hub-context.js';
import type { TargetSystem } from '../jobs/hub-queues.js';
import { enqueueFanout, fanoutChange, markFanoutPending, redrivePending, syncContactToAll } from './propagation.service.js';
import { linkHashFor, linkHashOf, type SystemView, wholeView } from '../domain/link-hash.js';

export interface InboundChange {
  system: TargetSystem;
  externalId: string;
  /** The event said the record was deleted or destroyed (it may be gone from the system). */
  deleted?: boolean;
  /** When the system says the change happened (ISO). */
  at?: string;
  /**
   * The record as the event carried it. Used only to recognise Kith's own write coming back
   * (its hash equals the link's) without reading the system; anything else is read afresh.
   */
  record?: unknown;
}

export type InboundOutcome =
  | { action: 'echo' | 'missing' | 'same_content'; contactId?: string; redriven?: readonly string[] }
  | { action: 'created' | 'updated'; contactId: string; version: number; fanout?: string }
  | { action: 'write_back'; contactId: string; version: number; reason: string; fanout?: string }
  | { action: 'conflict'; contactId: string; conflictId: string; created: boolean }
  | { action: 'canonical_change'; contactId: string; version: number; fanout?: string };

/**
 * The reverse path for one change reported by a system (webhook): the record the event carried
 * when it is an echo or a fresh change, else the record read from the system (the event may be
 * stale, reordered or redelivered), then applyRecord. A change in the canonical
 * store's own system is already canonical and only fans out.
 */
export async function applyInbound(hub: Hub, change: InboundChange, opts: { fanout?: boolean; redelivered?: boolean; origin?: string } = {}): Promise<InboundOutcome> {
  const outcome = await applyInboundOnce(hub, change, opts);
  // A redelivered change already applied: its first attempt's fan-out may be lost (redrivePending).
  if (opts.redelivered && opts.fanout !== false && (outcome.action === 'echo' || outcome.action === 'same_content') && outcome.contactId) {
    const redriven = await redrivePending(hub, outcome.contactId);
    if (redriven.length) return { ...outcome, redriven };
  }
  return outcome;
}

async function applyInboundOnce(hub: Hub, change: InboundChange, opts: { fanout?: boolean; origin?: string }): Promise<InboundOutcome> {
  if (change.system === hub.systems.canonicalName) {
    const r = await syncContactToAll(hub, change.externalId, { origin: `${change.system}-edit` });
    return { action: 'canonical_change', contactId: change.externalId, version: r.version, fanout: r.id };
  }
  const system = hub.systems.targets.get(change.system);
  if (!system) throw new NotFoundError(`${change.system} is not configured as a contact system in this process`);
  const carried = await carriedRecord(system, change);
  if (carried) {
    const seen = await identify(hub, carried);
    if (seen.echo) return { action: 'echo', contactId: seen.contactId };
    // A fresh change (it beats the canonical record) is merged as carried: no read from the system.
    // Content Kith itself wrote there lately is not one: it is the late echo of an earlier write,
    // dated by the system when Kith wrote it (after the change it carried was made), and the
    // system's current copy decides.
    const current = await hub.systems.canonical.get(seen.contactId);
    if (carriedRecordSuffices(current, carried) && !(await wroteRecently(hub.redis, hub.prefix, carried.system, seen.contactId, seen.hash))) {
      return applyRecord(hub, carried, { ...opts, known: { seen, current } });
    }
  }
  let record = await system.get({ externalId: change.externalId });
  if (!record) {
    // Gone from the system (destroyed, or a DELETE webhook): a soft delete of the canonical record.
    const link = await findLinkByExternalId(hub.db, change.system, change.externalId);
    if (!change.deleted || !link) return { action: 'missing' };
    const at = change.at ?? new Date(hub.clock()).toISOString();
    record = { system: change.system, externalId: change.externalId, contactId: link.contactId, fields: {}, updatedAt: at, deletedAt: at };
  }
  return applyRecord(hub, record, opts);
}

/**
 * The event's own record as a SystemContact, when it carries one that maps (a delete's record
 * is the before-state: never used). Kith's last write coming back is recognised from it (an
 * echo: nothing to read, nothing to do), and a fresh change is merged from it directly; a
 * record that cannot be mapped is left to the authoritative read.
 */
async function carriedRecord(system: ContactSystem, change: InboundChange): Promise<SystemContact | undefined> {
  if (change.record === undefined || change.record === null || change.deleted || !system.fromRecord) return undefined;
  const carried = await system.fromRecord(change.record).catch(() => undefined);
  return carried && carried.externalId === change.externalId ? carried : undefined;
}

/**
 * One system's copy of a contact → the canonical store, then fan-out. In order:
 *   1. echo suppression: the copy hashes to what Kith last wrote there → nothing at all;
 *   2. under a per-contact lock, decideIncoming (version, then last_updated, then conflict;
 *      field ownership) and a compare-and-set write of the canonical record (version + 1);
 *   3. the source's link records what it holds, so its own fan-out child skips it unless the
 *      merge rejected some of its fields (then the canonical value is written back);
 *   4. equal version and time with different content → sync_conflicts, no write.
 * `locked`: the caller already holds the contact's lock. `fanout: false` leaves the fan-out of canonical changes to the caller (the sweep fans out from
 * the canonical cursor); a write-back of a refused copy is always enqueued. `known`: what the
 * caller already read (the record identified, the canonical record) — the first attempt uses it.
 */
export async function applyRecord(
  hub: Hub,
  incoming: SystemContact,
  opts: { fanout?: boolean; dryRun?: boolean; locked?: boolean; origin?: string; known?: { seen: Identified; current: CanonicalContact | undefined } } = {},
): Promise<InboundOutcome> {
  const fanout = opts.fanout !== false && !opts.dryRun;
  const { contactId, hash, echo } = opts.known?.seen ?? (await identify(hub, incoming));
  if (echo) return { action: 'echo', contactId };

  const run = async (): Promise<InboundOutcome> => {
    for (let attempt = 0; ; attempt++) {
      // The caller's read serves the first attempt: the compare-and-set write catches any change since.
      const current = attempt === 0 && opts.known ? opts.known.current : await hub.systems.canonical.get(contactId);
      const d = decideIncoming(current, { ...incoming, contactId }, hub.systems.ownership, changeTime(hub, incoming, current));
      if (opts.dryRun) return dryOutcome(d, contactId, current);
      try {
        return await act(hub, incoming, contactId, hash, current, d, fanout, opts.origin ?? defaultOrigin(incoming.system));
      } catch (err) {
        if (err instanceof VersionConflictError && attempt < 3) continue;
        throw err;
      }
    }
  };
  return opts.dryRun || opts.locked ? run() : withContactLock(hub.redis, hub.prefix, contactId, run);
}

/** The origin kept with a version when the caller names none: the promotion for Kith's own records, else an edit in the source. */
export function defaultOrigin(source: SystemName): string {
  return source === 'kith' ? 'promotion' : `${source}-edit`;
}

/** A system's copy as the hub knows it: its contact id, its link hash, and whether it is Kith's own last write (an echo). */
export interface Identified {
  contactId: string;
  hash: string;
  echo: boolean;
}

async function identify(hub: Hub, incoming: SystemContact): Promise<Identified> {
  const { contactId, link } = await resolveLink(hub.db, incoming);
  const hash = linkHashOf(incoming);
  return { contactId, hash, echo: isEcho(hash, link, incoming.version) };
}

/**
 * last_updated of a merged change: when it happened in the source (so "later wins" compares
 * edit times, whatever order the events are processed in), never before the current record's,
 * never in the future; the processing time when the source's time is unreadable.
 */
export function changeTime(hub: Hub, incoming: SystemContact, current: CanonicalContact | undefined): string {
  const now = hub.clock();
  const at = Date.parse(incoming.updatedAt);
  const floor = current ? Date.parse(current.sync_metadata.last_updated) : 0;
  const ms = Number.isNaN(at) ? now : Math.min(Math.max(at, Number.isNaN(floor) ? 0 : floor), now);
  return new Date(ms).toISOString();
}

/**
 * When a system held the record it reported: the record's own time (never in the future), the
 * processing time when it is unreadable. A link recorded from a system's record is stamped so,
 * not with the time it was taken: a link's time then says when Kith last wrote there or saw
 * the system hold this content, and a later record of the system, taken late (a backlog), is
 * not mistaken for an edit Kith's write overwrote (overwrittenSince).
 */
export function heldAt(incoming: SystemContact, now: number): number {
  const at = Date.parse(incoming.updatedAt);
  return Number.isNaN(at) ? now : Math.min(at, now);
}

function dryOutcome(d: IncomingDecision, contactId: string, current: CanonicalContact | undefined): InboundOutcome {
  if (d.action === 'create' || d.action === 'update') return { action: d.action === 'create' ? 'created' : 'updated', contactId, version: d.contact.sync_metadata.version };
  if (d.action === 'conflict') return { action: 'conflict', contactId, conflictId: '', created: false };
  if (d.action === 'unchanged' && d.reason === 'same_content') return { action: 'same_content', contactId };
  return { action: 'write_back', contactId, version: current?.sync_metadata.version ?? 0, reason: d.reason };
}

/** How a system hands a record back: its own view when configured here, else every field. */
export function viewOf(hub: Hub, system: SystemName): SystemView {
  return hub.systems.targets.get(system as TargetSystem) ?? { view: wholeView };
}

async function act(hub: Hub, incoming: SystemContact, contactId: string, hash: string, current: CanonicalContact | undefined, d: IncomingDecision, fanout: boolean, origin: string): Promise<InboundOutcome> {
  const now = hub.clock();
  const source = incoming.system;
  if (d.action === 'create' || d.action === 'update') {
    const version = d.contact.sync_metadata.version;
    // With the record: the source's link (what it holds) and the outbox rows of the targets that
    // do not hold it yet — in the record's own transaction when the canonical store lives in
    // Kith's database, else right after it. The link is read there too, under the contact's lock:
    // a push that overwrote the source after this record was current there has recorded its own
    // write by now. The source then holds Kith's write, not this record: its link keeps saying so,
    // and the merge is written back to it. The source holds the new record unless the merge
    // refused some of its fields (then it gets a write-back too).
    let holders: SystemName[] = [];
    const alongside = async (q: Queryable) => {
      const overwritten = overwrittenSince(await getLink(q, contactId, source), hash, incoming.updatedAt);
      holders = !overwritten && linkHashFor(viewOf(hub, source), d.contact) === hash ? [source] : [];
      if (!overwritten) await recordLink(q, { contactId, system: source, externalId: incoming.externalId, hash, version, at: heldAt(incoming, now) });
      await markFanoutPending(q, hub, { contactId, version }, holders, now);
    };
    const { canonical } = hub.systems;
    const expected = current?.sync_metadata.version ?? 0;
    if (canonical.putWith) await canonical.putWith(d.contact, expected, alongside, { origin });
    else {
      await canonical.put(d.contact, expected, { origin });
      await hub.db.tx(alongside);
    }
    const f = fanout ? await fanoutChange(hub, { contactId, version }, { origin: `${source}-edit`, holders }) : undefined;
    return { action: d.action === 'create' ? 'created' : 'updated', contactId, version, fanout: f?.id };
  }
  if (d.action === 'conflict') {
    const r = await recordConflict(hub.db, { contactId, a: conflictSide(current!, hub.systems.canonicalName), b: conflictSide(incoming), reason: d.reason, now });
    if (r.created) {
      await hub.alerts.raise({ kind: 'new_conflict', subject: contactId, message: `contact ${contactId}: ${source} and ${hub.systems.canonicalName} hold different content with the same version and time (${r.id})`, details: { conflictId: r.id } });
    }
    return { action: 'conflict', contactId, conflictId: r.id, created: r.created };
  }
  const version = current!.sync_metadata.version;
  if (d.action === 'unchanged' && d.reason === 'same_content') {
    // The system holds the canonical content: remember it, so its next echo is recognised.
    await hub.db.tx(async (q) => {
      await recordLink(q, { contactId, system: source, externalId: incoming.externalId, hash, version, at: heldAt(incoming, now) });
      await markPropagated(q, contactId, source, version, now);
    });
    return { action: 'same_content', contactId };
  }
  // The canonical record wins (newer, or the fields changed are owned elsewhere): write it back.
  await recordLink(hub.db, { contactId, system: source, externalId: incoming.externalId, hash, version: incoming.version ?? null, at: now });
  // Always fanned out here (even from the sweep): the canonical record did not change, so the
  // canonical change feed will not carry it. Keyed by the refused content: redelivery adds nothing.
  const f = await enqueueFanout(hub, [{ contactId, version }], { key: `${contactId}.v${version}.r${hash.slice(0, 12)}`, origin: `${source}-repair` });
  return { action: 'write_back', contactId, version, reason: d.reason, fanout: f.id };
}
