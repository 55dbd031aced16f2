import type { CanonicalContact, SystemName } from '../domain/canonical-contact.js';
import { decideIncoming, type IncomingDecision } from '../domain/contact-merge.js';
import { isEcho, overwrittenSince } from '../domain/echo-detector.js';
import { linkHashFor, linkHashOf } from '../domain/link-hash.js';
import { VersionConflictError } from '../ports/canonical-store.js';
import type { SystemContact } from '../ports/contact-system.js';
import { getLinksFor, type LinkWrite, recordLinks } from '../stores/contact-links.store.js';
import { withContactLocks } from '../stores/contact-lock.store.js';
import { markPendingMany } from '../stores/contact-outbox.store.js';
import type { Hub } from '../hub-context.js';
import type { Queryable } from '../../db/db.js';
import { TemporaryError } from '../../errors.js';
import { resolveLinks } from './echo-check.service.js';
import { applyRecord, changeTime, defaultOrigin, heldAt, type Identified, type InboundOutcome, viewOf } from './inbound.service.js';
import { enqueueFanout, fanoutTargets, type FanoutItem } from './propagation.service.js';

/** Compare-and-set rounds of a batch before its records go one by one through applyRecord. */
const ATTEMPTS = 3;
/** Contacts per fan-out job. */
const FANOUT_BATCH = 100;

export interface ApplyRecordsOptions {
  /** false: the caller fans the written records out (their outbox rows are written: enqueueFanout with pendingMarked). */
  fanout?: boolean;
  /**
   * More writes to Kith's database in the transaction that writes the batch's records, links
   * and outbox rows (after the records on BigQuery), given the indexes of the records written
   * there. Not called for records decided one by one (a conflict, the same content, a fallback).
   * PostgreSQL may run it more than once (a transaction re-run after a serialization failure).
   */
  alongside?: (q: Queryable, written: readonly BatchWrite[]) => Promise<void>;
}

/** A record the batch's transaction wrote: its index among the records, its contact and the version written. */
export interface BatchWrite {
  index: number;
  contactId: string;
  version: number;
}

type Written = FanoutItem & { holders: SystemName[] };
type Plan = { i: number; seen: Identified; current: CanonicalContact | undefined; d: IncomingDecision };
type WritePlan = Plan & { d: Extract<IncomingDecision, { contact: CanonicalContact }> };

/**
 * applyRecord for many records at once (a first promotion writes thousands), with the same
 * decisions and rows at a fraction of the round trips:
 *   1. echo suppression per record, from one read of the links of all of them;
 *   2. the contacts' locks taken in one ordered, all-or-nothing batch (withContactLocks);
 *   3. under them, one read of the canonical records, decideIncoming per record in memory
 *      (versions, times, field ownership), and one compare-and-set write of every created or
 *      updated record with the sources' links and the outbox rows: in one transaction on the
 *      local store; on BigQuery the records first, then the rest (as applyRecord does);
 *   4. a lost compare-and-set (a writer outside the locks) re-reads and re-decides the batch;
 *      after a few rounds, or when the locks stay taken, every record goes through applyRecord
 *      on its own, as do records the merge does not simply write (conflict, same content,
 *      write-back) and a contact named twice.
 * One outcome per record, in order.
 */
export async function applyRecords(hub: Hub, records: readonly SystemContact[], opts: ApplyRecordsOptions = {}): Promise<InboundOutcome[]> {
  const fanout = opts.fanout !== false;
  const out: (InboundOutcome | undefined)[] = new Array(records.length);
  const resolved = await resolveLinks(hub.db, records);
  const batch: { i: number; seen: Identified }[] = [];
  const single: number[] = [];
  const taken = new Set<string>();
  resolved.forEach(({ contactId, link }, i) => {
    const hash = linkHashOf(records[i]!);
    const seen = { contactId, hash, echo: isEcho(hash, link, records[i]!.version) };
    if (seen.echo) out[i] = { action: 'echo', contactId };
    else if (taken.has(contactId)) single.push(i);
    else {
      taken.add(contactId);
      batch.push({ i, seen });
    }
  });

  let written: Written[] = [];
  const applyLocked = async () => {
    for (let attempt = 0; ; attempt++) {
      const currents = await hub.systems.canonical.getMany(batch.map((b) => b.seen.contactId));
      const plans: Plan[] = batch.map(({ i, seen }) => {
        const current = currents.get(seen.contactId);
        return { i, seen, current, d: decideIncoming(current, { ...records[i]!, contactId: seen.contactId }, hub.systems.ownership, changeTime(hub, records[i]!, current)) };
      });
      const writes = plans.filter((p): p is WritePlan => p.d.action === 'create' || p.d.action === 'update');
      try {
        written = await writeBatch(hub, records, writes, opts.alongside);
      } catch (err) {
        if (!(err instanceof VersionConflictError)) throw err;
        if (attempt + 1 < ATTEMPTS) continue;
        for (const { i } of batch) out[i] = await applyRecord(hub, records[i]!, { fanout, locked: true });
        return;
      }
      for (const p of writes) out[p.i] = { action: p.d.action === 'create' ? 'created' : 'updated', contactId: p.seen.contactId, version: p.d.contact.sync_metadata.version };
      // The rest (conflict, same content, write-back) as applyRecord decides it, under the same locks.
      for (const p of plans) if (!out[p.i]) out[p.i] = await applyRecord(hub, records[p.i]!, { fanout, locked: true, known: { seen: p.seen, current: p.current } });
      return;
    }
  };
  try {
    await withContactLocks(hub.redis, hub.prefix, [...taken], applyLocked);
  } catch (err) {
    // Some of the contacts stayed locked by other writers: one by one, each under its own lock.
    if (!(err instanceof TemporaryError) || err.code !== 'contact_locked' || batch.some((b) => out[b.i])) throw err;
    for (const { i } of batch) out[i] = await applyRecord(hub, records[i]!, { fanout });
  }
  for (const i of single) out[i] = await applyRecord(hub, records[i]!, { fanout });

  if (fanout) {
    const groups = new Map<string, Written[]>();
    for (const w of written) groups.set(w.holders.join(','), [...(groups.get(w.holders.join(',')) ?? []), w]);
    for (const items of groups.values()) {
      for (let k = 0; k < items.length; k += FANOUT_BATCH) {
        const part = items.slice(k, k + FANOUT_BATCH);
        await enqueueFanout(
          hub,
          part.map(({ contactId, version }) => ({ contactId, version })),
          { origin: `${records[0]!.system}-edit`, holders: part[0]!.holders, guard: true, pendingMarked: true },
        );
      }
    }
  }
  return out as InboundOutcome[];
}

/**
 * The created and updated records of a batch in one compare-and-set write, with, as act() in
 * inbound.service.ts does for one: each source's link (unless a push overwrote the source since
 * the record was current there), and the outbox rows of the targets that do not hold it yet.
 * Returns what was written (each record's version and the systems that hold it already).
 */
async function writeBatch(hub: Hub, records: readonly SystemContact[], writes: readonly WritePlan[], alongside: ApplyRecordsOptions['alongside']): Promise<Written[]> {
  if (!writes.length) return [];
  const now = hub.clock();
  let written: Written[] = [];
  // Built afresh on every run: PostgreSQL re-runs a transaction's function after a serialization failure.
  const also = async (q: Queryable) => {
    const links: LinkWrite[] = [];
    const pending: { contactId: string; target: SystemName; version: number }[] = [];
    const done: Written[] = [];
    for (const system of new Set(writes.map((w) => records[w.i]!.system))) {
      const mine = writes.filter((w) => records[w.i]!.system === system);
      const stored = await getLinksFor(q, mine.map((w) => w.seen.contactId), system);
      for (const w of mine) {
        const incoming = records[w.i]!;
        const { contactId, hash } = w.seen;
        const version = w.d.contact.sync_metadata.version;
        const overwritten = overwrittenSince(stored.get(contactId), hash, incoming.updatedAt);
        const holders: SystemName[] = !overwritten && linkHashFor(viewOf(hub, system), w.d.contact) === hash ? [system] : [];
        if (!overwritten) links.push({ contactId, system, externalId: incoming.externalId, hash, version, at: heldAt(incoming, now) });
        for (const target of fanoutTargets(hub, holders)) pending.push({ contactId, target, version });
        done.push({ contactId, version, holders });
      }
    }
    await recordLinks(q, links);
    await markPendingMany(q, pending, now);
    await alongside?.(q, writes.map((w) => ({ index: w.i, contactId: w.seen.contactId, version: w.d.contact.sync_metadata.version })));
    written = done;
  };
  const { canonical } = hub.systems;
  const contacts = writes.map((w) => w.d.contact);
  const expected = new Map(writes.map((w) => [w.seen.contactId, w.current?.sync_metadata.version ?? 0]));
  // The versions' origin, as one by one: the batch's system's (the promotion's for Kith's own records).
  const systems = new Set(writes.map((w) => records[w.i]!.system));
  const put = { origin: systems.size === 1 ? defaultOrigin([...systems][0]!) : undefined };
  if (canonical.putManyWith) await canonical.putManyWith(contacts, expected, also, put);
  else {
    await canonical.putMany(contacts, expected, put);
    await hub.db.tx(also);
  }
  return written;
}
