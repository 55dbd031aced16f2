import { placeholders, type Queryable } from '../../db/db.js';
import type { SystemName } from '../domain/canonical-contact.js';

/**
 * Pending propagation per (contact, target): written when the canonical record changes, done
 * when the target holds that version. Drives the "change older than 5 minutes not yet
 * propagated" alert and the pending figure on /health; BullMQ stays the delivery mechanism.
 */
export interface PendingPropagation {
  contactId: string;
  target: SystemName;
  version: number;
  /** When the oldest not-yet-propagated change for this pair was recorded (epoch ms). */
  enqueuedAt: number;
  attempts: number;
  lastError: string | null;
}

interface OutboxRow {
  contact_id: string;
  target: string;
  version: number;
  enqueued_at: number;
  attempts: number;
  last_error: string | null;
}

const toPending = (r: OutboxRow): PendingPropagation => ({
  contactId: r.contact_id,
  target: r.target as SystemName,
  version: Number(r.version),
  enqueuedAt: Number(r.enqueued_at),
  attempts: Number(r.attempts),
  lastError: r.last_error,
});

/** Rows per multi-row statement (4 parameters each). */
const WRITE_CHUNK = 500;

/**
 * Mark `version` of a contact as due at each target. A newer version replaces an older pending
 * one but keeps its enqueue time (the change is as old as the oldest unpropagated edit); a
 * version not newer than the recorded one is ignored, so redelivery is harmless.
 */
export async function markPending(q: Queryable, contactId: string, version: number, targets: readonly SystemName[], now: number): Promise<void> {
  await markPendingMany(q, targets.map((target) => ({ contactId, target, version })), now);
}

/**
 * markPending for many rows (contact, target, version) in a few multi-row statements. A pair
 * named twice keeps its highest version, as marking them in turn would.
 */
export async function markPendingMany(q: Queryable, rows: readonly { contactId: string; target: SystemName; version: number }[], now: number): Promise<void> {
  if (!rows.length) return;
  const top = new Map<string, { contactId: string; target: SystemName; version: number }>();
  for (const r of rows) {
    const k = `${r.contactId}|${r.target}`;
    if ((top.get(k)?.version ?? -Infinity) < r.version) top.set(k, r);
  }
  const all = [...top.values()];
  for (let i = 0; i < all.length; i += WRITE_CHUNK) {
    const part = all.slice(i, i + WRITE_CHUNK);
    await q.run(
      `INSERT INTO contact_outbox (contact_id, target, version, enqueued_at) VALUES ${placeholders(part.length, 4)}
       ON CONFLICT (contact_id, target) DO UPDATE SET
         version = excluded.version,
         enqueued_at = CASE WHEN contact_outbox.done_at IS NULL THEN contact_outbox.enqueued_at ELSE excluded.enqueued_at END,
         done_at = NULL, attempts = 0, last_error = NULL
       WHERE excluded.version > contact_outbox.version`,
      part.flatMap((r) => [r.contactId, r.target, r.version, now]),
    );
  }
}

/** The target now holds `version` (or newer): done if that covers the pending version. */
const MARK_PROPAGATED = 'UPDATE contact_outbox SET done_at = ? WHERE contact_id = ? AND target = ? AND done_at IS NULL AND version <= ?';

/** markPropagatedMany for one contact; returns whether a row was closed. */
export async function markPropagated(q: Queryable, contactId: string, target: SystemName, version: number, now: number): Promise<boolean> {
  return (await markPropagatedMany(q, target, [{ contactId, version }], now)) > 0;
}

/** Close the outbox rows of many contacts of one target (one prepared statement); returns how many closed. */
export async function markPropagatedMany(q: Queryable, target: SystemName, rows: readonly { contactId: string; version: number }[], now: number): Promise<number> {
  if (!rows.length) return 0;
  return (await q.runMany(MARK_PROPAGATED, rows.map((r) => [now, r.contactId, target, r.version]))).changes;
}

export async function recordPropagationError(q: Queryable, contactId: string, target: SystemName, message: string): Promise<void> {
  await q.run('UPDATE contact_outbox SET attempts = attempts + 1, last_error = ? WHERE contact_id = ? AND target = ? AND done_at IS NULL', [
    message.slice(0, 2000),
    contactId,
    target,
  ]);
}

/** Pending rows, oldest first; `olderThanMs` keeps only those enqueued at least that long before `now`. */
export async function listPending(q: Queryable, opts: { now?: number; olderThanMs?: number; limit?: number; target?: SystemName } = {}): Promise<PendingPropagation[]> {
  const cutoff = opts.olderThanMs === undefined ? Number.MAX_SAFE_INTEGER : (opts.now ?? Date.now()) - opts.olderThanMs;
  const rows = await q.all<OutboxRow>(
    `SELECT contact_id, target, version, enqueued_at, attempts, last_error FROM contact_outbox
      WHERE done_at IS NULL AND enqueued_at <= ? ${opts.target ? 'AND target = ?' : ''}
      ORDER BY enqueued_at, contact_id, target LIMIT ?`,
    opts.target ? [cutoff, opts.target, opts.limit ?? 1000] : [cutoff, opts.limit ?? 1000],
  );
  return rows.map(toPending);
}

/** One contact's pending rows (every target not yet holding its version). */
export async function pendingOfContact(q: Queryable, contactId: string): Promise<PendingPropagation[]> {
  const rows = await q.all<OutboxRow>(
    'SELECT contact_id, target, version, enqueued_at, attempts, last_error FROM contact_outbox WHERE contact_id = ? AND done_at IS NULL ORDER BY target',
    [contactId],
  );
  return rows.map(toPending);
}

/** Per target: how many changes are pending and since when (for /health and /metrics). */
export async function pendingByTarget(q: Queryable): Promise<Record<string, { pending: number; oldestEnqueuedAt: number | null }>> {
  const rows = await q.all<{ target: string; n: number; oldest: number | null }>(
    'SELECT target, COUNT(*) AS n, MIN(enqueued_at) AS oldest FROM contact_outbox WHERE done_at IS NULL GROUP BY target ORDER BY target',
  );
  const out: Record<string, { pending: number; oldestEnqueuedAt: number | null }> = {};
  for (const r of rows) out[r.target] = { pending: Number(r.n), oldestEnqueuedAt: r.oldest == null ? null : Number(r.oldest) };
  return out;
}
