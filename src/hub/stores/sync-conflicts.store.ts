import { createHash } from 'node:crypto';
import type { Queryable } from '../../db/db.js';
import { type ConflictSide, conflictSide } from '../domain/conflict-take.js';
import { hashSystemFields } from '../domain/contact-content.js';

export { type ConflictSide, conflictSide };

export interface StoredConflict {
  id: string;
  contactId: string;
  a: ConflictSide;
  b: ConflictSide;
  reason: string;
  createdAt: number;
  resolvedAt: number | null;
  resolution: unknown;
}

const sideHash = (s: ConflictSide) => hashSystemFields(s.fields, s.deletedAt);

interface ConflictRow {
  id: string;
  contact_id: string;
  system_a: string;
  system_b: string;
  record_a: string;
  record_b: string;
  reason: string;
  created_at: number;
  resolved_at: number | null;
  resolution: string | null;
}

const toConflict = (r: ConflictRow): StoredConflict => ({
  id: r.id,
  contactId: r.contact_id,
  a: JSON.parse(r.record_a) as ConflictSide,
  b: JSON.parse(r.record_b) as ConflictSide,
  reason: r.reason,
  createdAt: Number(r.created_at),
  resolvedAt: r.resolved_at == null ? null : Number(r.resolved_at),
  resolution: r.resolution == null ? null : JSON.parse(r.resolution),
});

/**
 * Record a pair of contents for review. Idempotent: the id derives from the contact and the
 * two content hashes (in either order), so a redelivered webhook records nothing new.
 */
export async function recordConflict(
  q: Queryable,
  c: { contactId: string; a: ConflictSide; b: ConflictSide; reason: string; now: number },
): Promise<{ id: string; created: boolean }> {
  const pairKey = [sideHash(c.a), sideHash(c.b)].sort().join(':');
  const id = `cf-${createHash('sha256').update(`${c.contactId}|${pairKey}`).digest('hex').slice(0, 12)}`;
  const r = await q.run(
    `INSERT INTO sync_conflicts (id, contact_id, pair_key, system_a, system_b, record_a, record_b, reason, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    [id, c.contactId, pairKey, c.a.system, c.b.system, JSON.stringify(c.a), JSON.stringify(c.b), c.reason, c.now],
  );
  return { id, created: r.changes > 0 };
}

export async function getConflict(q: Queryable, id: string): Promise<StoredConflict | undefined> {
  const r = await q.get<ConflictRow>('SELECT * FROM sync_conflicts WHERE id = ? AND table_name IS NULL', [id]);
  return r && toConflict(r);
}

/** Open conflicts (default) or all, oldest first. */
export async function listConflicts(q: Queryable, opts: { all?: boolean; contactId?: string; limit?: number } = {}): Promise<StoredConflict[]> {
  // Conflicts of mapped tables' records (table_name set) are the table sync's (src/tables/).
  const where: string[] = ['table_name IS NULL'];
  const params: (string | number)[] = [];
  if (!opts.all) where.push('resolved_at IS NULL');
  if (opts.contactId) {
    where.push('contact_id = ?');
    params.push(opts.contactId);
  }
  params.push(opts.limit ?? 500);
  const rows = await q.all<ConflictRow>(
    `SELECT * FROM sync_conflicts WHERE ${where.join(' AND ')} ORDER BY created_at, id LIMIT ?`,
    params,
  );
  return rows.map(toConflict);
}

export async function countOpenConflicts(q: Queryable): Promise<number> {
  return Number((await q.get<{ n: number }>('SELECT COUNT(*) AS n FROM sync_conflicts WHERE resolved_at IS NULL AND table_name IS NULL'))?.n ?? 0);
}

/** Close a conflict with what was decided; false when it was already closed (or unknown). */
export async function markConflictResolved(q: Queryable, id: string, resolution: unknown, now: number): Promise<boolean> {
  const r = await q.run('UPDATE sync_conflicts SET resolved_at = ?, resolution = ? WHERE id = ? AND resolved_at IS NULL AND table_name IS NULL', [
    now,
    JSON.stringify(resolution),
    id,
  ]);
  return r.changes > 0;
}
