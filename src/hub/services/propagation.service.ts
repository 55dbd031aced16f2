import { createHash } from 'node:crypto';
import type { FlowJob } from 'bullmq';
import type { SystemName } from '../domain/canonical-contact.js';
import { markPending, pendingOfContact } from '../stores/contact-outbox.store.js';
import type { Queryable } from '../../db/db.js';
import { NotFoundError } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import type { Hub } from '../hub-context.js';
import { HUB_QUEUE, type TargetSystem, targetQueue } from '../jobs/hub-queues.js';
import { FanoutBatcher } from './fanout-batcher.service.js';

export interface FanoutItem {
  contactId: string;
  version: number;
}

export interface FanoutResult {
  /** The fan-out's id — `<contactId>.v<version>` or `batch.<hash>` — and each target's job is `<id>.<target>`; undefined when there is no target. */
  id?: string;
  /** The job that finishes once every target has been written: the flow's parent, or the only target's job. */
  done?: { queue: string; jobId: string };
  targets: TargetSystem[];
}

/** What a fan-out's last job reports on completion (the bench and `kith contacts sync` read it). */
export interface FanoutSummary {
  origin: string;
  count: number;
  first?: FanoutItem;
  /** The contact ids, for batches up to LISTED_IDS. */
  ids?: string[];
  enqueuedAt: number;
}

/** Contact ids a fan-out lists in its data (and return value) for batches up to this size. */
const LISTED_IDS = 100;

/** BullMQ job ids may not contain ':' and must not look like integers. */
const shortHash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/**
 * One FlowProducer flow: a parent job in contacts-fanout with one child per target in that
 * target's queue. Each child retries on its own (its own attempts/backoff) and a child that
 * fails for good is moved aside (ignoreDependencyOnFailure), so it never blocks the others.
 * When only one target needs the change (the others hold it already), that target's job is
 * the whole flow: no parent to run and wait for. Job ids are deterministic —
 * `<contactId>.v<version>.<target>` for one contact, `batch.<hash>.<target>` for a batch — so a
 * redelivered event enqueues nothing new (and a later flow with the same id adopts an existing
 * target job as its child). The outbox row per target is written first: a change is "pending"
 * from the moment it is known, until a target's job confirms it.
 */
export async function enqueueFanout(
  hub: Hub,
  items: readonly FanoutItem[],
  opts: { key?: string; origin?: string; holders?: readonly SystemName[]; guard?: boolean; pendingMarked?: boolean } = {},
): Promise<FanoutResult> {
  const targets = fanoutTargets(hub, opts.holders);
  if (!items.length || !targets.length) return { targets };
  const now = hub.clock();
  // `pendingMarked`: the caller wrote the outbox rows with the change (markFanoutPending).
  if (!opts.pendingMarked) {
    await hub.db.tx(async (q) => {
      for (const it of items) await markPending(q, it.contactId, it.version, targets, now);
    });
  }
  const id = opts.key ?? (items.length === 1 ? `${items[0]!.contactId}.v${items[0]!.version}` : `batch.${shortHash(items.map((i) => `${i.contactId}@${i.version}`).join(','))}`);
  const summary: FanoutSummary = { origin: opts.origin ?? 'change', count: items.length, first: items[0], ...(items.length <= LISTED_IDS ? { ids: items.map((i) => i.contactId) } : {}), enqueuedAt: now };
  const targetJob = (target: TargetSystem) => ({
    name: 'push',
    queueName: targetQueue(target),
    // guard: look at the target's copies before overwriting them (always for one contact).
    data: { target, items, ...(opts.guard ? { guard: true } : {}) },
    opts: { ...hub.jobOptions(targetQueue(target)), jobId: `${id}.${target}` },
  });
  if (targets.length === 1) {
    const only = targetJob(targets[0]!);
    await hub.queue(only.queueName).add(only.name, { ...only.data, summary }, only.opts);
    return { id, done: { queue: only.queueName, jobId: only.opts.jobId }, targets };
  }
  const children: FlowJob[] = targets.map((t) => {
    const job = targetJob(t);
    return { ...job, opts: { ...job.opts, ignoreDependencyOnFailure: true } };
  });
  await hub.flow.add({ name: 'fanout', queueName: HUB_QUEUE.fanout, data: summary, opts: { ...hub.jobOptions(HUB_QUEUE.fanout), jobId: id }, children });
  return { id, done: { queue: HUB_QUEUE.fanout, jobId: id }, targets };
}

/**
 * The targets a fan-out writes to. `holders`: targets known to hold exactly the versions already
 * (the system an edit came from, when the merge took all of it): no job, no outbox row — their
 * job would only skip.
 */
export function fanoutTargets(hub: Hub, holders: readonly SystemName[] = []): TargetSystem[] {
  return [...hub.systems.targets.keys()].filter((t) => !holders.includes(t));
}

/** The outbox rows of a change fanned out later by fanoutChange, written by the caller inside the change's own transaction. */
export async function markFanoutPending(q: Queryable, hub: Hub, item: FanoutItem, holders: readonly SystemName[], now: number): Promise<void> {
  await markPending(q, item.contactId, item.version, fanoutTargets(hub, holders), now);
}

const batchers = new WeakMap<Hub, FanoutBatcher<FanoutResult>>();

/**
 * The fan-out of one change merged from a webhook (its outbox rows already written with it:
 * markFanoutPending), batched with the changes other inbound jobs
 * of this process merge at the same moment (FanoutBatcher): one flow, one guarded write per
 * target for all of them. A batch of one is the single-contact flow `<id>.v<version>`.
 */
export function fanoutChange(hub: Hub, item: FanoutItem, opts: { origin: string; holders: readonly SystemName[] }): Promise<FanoutResult> {
  let b = batchers.get(hub);
  if (!b) {
    b = new FanoutBatcher((items, key) => enqueueFanout(hub, items, { origin: key.origin, holders: key.holders, guard: true, pendingMarked: true }), LISTED_IDS);
    batchers.set(hub, b);
  }
  return b.add(item, opts);
}

/**
 * A redelivered change found already applied (an echo of its own first attempt, or the same
 * content): that attempt committed the canonical record and its outbox rows, but its fan-out may
 * never have reached the queue (the process died between the commit and the enqueue, or the
 * Redis master that took the enqueue failed over before replicating it). Every target still
 * pending for the contact gets its job again, keyed as a single-contact fan-out child: a job
 * still queued under that id adds nothing, and a push of a version the target holds only skips.
 */
export async function redrivePending(hub: Hub, contactId: string): Promise<TargetSystem[]> {
  const pending = (await pendingOfContact(hub.db, contactId)).filter((p) => hub.systems.targets.has(p.target as TargetSystem));
  const all = [...hub.systems.targets.keys()];
  for (const p of pending) {
    const holders = all.filter((t) => t !== p.target);
    await enqueueFanout(hub, [{ contactId, version: p.version }], { origin: 'redelivery', holders, guard: true, pendingMarked: true });
  }
  return pending.map((p) => p.target as TargetSystem);
}

/** `sync_contact_to_all(id)`: fan the current canonical record out to every target. */
export async function syncContactToAll(hub: Hub, contactId: string, opts: { key?: string; origin?: string } = {}): Promise<FanoutResult & { version: number }> {
  const c = await hub.systems.canonical.get(contactId);
  if (!c) throw new NotFoundError(`no canonical contact ${contactId}`);
  const r = await enqueueFanout(hub, [{ contactId, version: c.sync_metadata.version }], opts);
  return { ...r, version: c.sync_metadata.version };
}

/**
 * A fan-out parent's job, run once every child finished: a child that failed for good (`failed`,
 * keyed by child job) is reported here, not fatal. Needs no hub: the summary came with the job.
 */
export function fanoutFinished(data: { origin: string; count: number; enqueuedAt: number; first?: unknown; ids?: unknown }, failed: Record<string, string>, log: Logger) {
  const failedTargets = Object.keys(failed).map((k) => k.split('.').pop());
  if (failedTargets.length) log.warn({ failed }, `fan-out finished with failed target(s): ${failedTargets.join(', ')}`);
  return { origin: data.origin, count: data.count, first: data.first, ids: data.ids, enqueuedAt: data.enqueuedAt, finishedAt: Date.now(), failedTargets };
}
