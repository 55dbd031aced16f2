import { createHash } from 'node:crypto';
import type { Queryable } from '../../db/db.js';
import type { Side } from '../domain/record-decision.js';
import { hashTableContent, type TableContent } from '../domain/table-content.js';

/** One side of a table record's conflict, as sync_conflicts keeps it. */
export interface TableConflictSide {
  system: Side;
  id: string;
  updatedAt: string;
  content: TableContent;
}

export interface TableConflict {
  id: string;
  table: string;
  rowId: string;
  /** The side that won (written to the other), and the one kept here for review. */
  winner: TableConflictSide;
  loser: TableConflictSide;
  createdAt: number;
  resolvedAt: number | null;
  resolution: unknown;
}

interface Row {
  id: string;
  table_name: string;
  contact_id: string;
  record_a: string;
  record_b: string;
  created_at: number | string;
  resolved_at: number | string | null;
  resolution: string | null;
}

const toConflict = (r: Row): TableConflict => ({
  id: r.id,
  table: r.table_name,
  rowId: r.contact_id,
  winner: JSON.parse(r.record_a) as TableConflictSide,
  loser: JSON.parse(r.record_b) as TableConflictSide,
  createdAt: Number(r.created_at),
  resolvedAt: r.resolved_at == null ? null : Number(r.resolved_at),
  resolution: r.resolution == null ? null : JSON.parse(r.resolution),
});

/**
 * Keep the losing side of an edit made on both sides, in the contact hub's `sync_conflicts`
 * (its `contact_id` holds the row id, `table_name` the mapped table). Idempotent: the id comes
 * from the table, row and both contents.
 */
export async function recordTableConflict(q: Queryable, table: string, rowId: string, winner: TableConflictSide, loser: TableConflictSide, now: number): Promise<{ id: string; created: boolean }> {
  const pairKey = [hashTableContent(winner.content), hashTableContent(loser.content)].sort().join(':');
  const id = `tc-${createHash('sha256').update(`${table}|${rowId}|${pairKey}`).digest('hex').slice(0, 12)}`;
  const r = await q.run(
    `INSERT INTO sync_conflicts (id, contact_id, pair_key, system_a, system_b, record_a, record_b, reason, created_at, table_name)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    [id, rowId, `${table}:${pairKey}`, winner.system, loser.system, JSON.stringify(winner), JSON.stringify(loser), 'edited on both sides since the last sync; the newer edit won', now, table],
  );
  return { id, created: r.changes > 0 };
}

export async function listTableConflicts(q: Queryable, opts: { all?: boolean; table?: string } = {}): Promise<TableConflict[]> {
  const where = ['table_name IS NOT NULL'];
  const params: string[] = [];
  if (!opts.all) where.push('resolved_at IS NULL');
  if (opts.table) {
    where.push('table_name = ?');
    params.push(opts.table);
  }
  return (await q.all<Row>(`SELECT * FROM sync_conflicts WHERE ${where.join(' AND ')} ORDER BY created_at, id`, params)).map(toConflict);
}

export async function getTableConflict(q: Queryable, id: string): Promise<TableConflict | undefined> {
  const r = await q.get<Row>('SELECT * FROM sync_conflicts WHERE id = ? AND table_name IS NOT NULL', [id]);
  return r && toConflict(r);
}

export async function markTableConflictResolved(q: Queryable, id: string, resolution: unknown, now: number): Promise<boolean> {
  return (await q.run('UPDATE sync_conflicts SET resolved_at = ?, resolution = ? WHERE id = ? AND resolved_at IS NULL', [now, JSON.stringify(resolution), id])).changes > 0;
}

/** The verification token of a Notion webhook subscription, kept until the user configures it. */
export async function saveWebhookToken(q: Queryable, token: string, now: number): Promise<void> {
  await q.run('INSERT INTO notion_webhook_tokens (token, received_at) VALUES (?, ?) ON CONFLICT (token) DO NOTHING', [token, now]);
}

export async function latestWebhookToken(q: Queryable): Promise<{ token: string; receivedAt: number } | undefined> {
  const r = await q.get<{ token: string; received_at: number | string }>('SELECT token, received_at FROM notion_webhook_tokens ORDER BY received_at DESC LIMIT 1');
  return r && { token: r.token, receivedAt: Number(r.received_at) };
}
