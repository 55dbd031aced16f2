import type { Db } from '../db/db.js';
import { inList } from '../db/sql-lists.js';
import type { Channel } from './api-params.js';

/** The relationship graph: the strongest people matching the filters, and the relationships among them. */
export interface GraphNode {
  id: string;
  label: string;
  strength: number | null;
  total: number;
}
export interface GraphEdge {
  source: string;
  target: string;
  weight: number;
  events: number;
  threads: number;
  messages: number;
}

/** Which shared count of a relationship belongs to a channel (mentions and calls are not shared). */
const EDGE_COLUMN: Partial<Record<Channel, string>> = { meeting: 'shared_events_count', email: 'shared_threads_count', message: 'shared_messages_count' };
const TOTAL = '(email_count + meeting_count + message_count + mention_count + call_count)';

/** At most this many edges per node drawn: the strongest, so a dense graph stays readable (and quick to lay out). */
export const EDGES_PER_NODE = 3;

export async function relationshipGraph(
  db: Db,
  opts: { minStrength: number; channel?: Channel; limit: number },
): Promise<{ nodes: GraphNode[]; edges: GraphEdge[]; truncated: boolean; edgesTotal: number }> {
  const where = ['merged_into IS NULL', opts.minStrength > 0 ? 'strength >= ?' : '1 = 1'];
  if (opts.channel) where.push(`${opts.channel}_count > 0`);
  const params = opts.minStrength > 0 ? [opts.minStrength] : [];
  const rows = await db.all<{ id: string; canonical_name: string; emails: string; phones: string; strength: number | null; total: number }>(
    `SELECT id, canonical_name, emails, phones, strength, ${TOTAL} AS total FROM people WHERE ${where.join(' AND ')}
     ORDER BY (strength IS NULL), strength DESC, ${TOTAL} DESC, id LIMIT ?`,
    [...params, opts.limit + 1],
  );
  const nodes = rows.slice(0, opts.limit).map((r) => ({
    id: r.id,
    label: r.canonical_name || (JSON.parse(r.emails) as string[])[0] || (JSON.parse(r.phones) as string[])[0] || '(unnamed)',
    strength: r.strength == null ? null : Number(r.strength),
    total: Number(r.total),
  }));
  if (nodes.length === 0) return { nodes, edges: [], truncated: false, edgesTotal: 0 };
  const ids = nodes.map((n) => n.id);
  const a = inList(db, 'person_a', ids);
  const b = inList(db, 'person_b', ids);
  const col = opts.channel ? EDGE_COLUMN[opts.channel] : undefined;
  const edges = await db.all<Record<string, unknown>>(
    `SELECT person_a, person_b, shared_events_count, shared_threads_count, shared_messages_count FROM relationships
     WHERE ${a.sql} AND ${b.sql}${col ? ` AND ${col} > 0` : ''}`,
    [...a.params, ...b.params],
  );
  const all = edges
    .map((e) => {
      const events = Number(e.shared_events_count);
      const threads = Number(e.shared_threads_count);
      const messages = Number(e.shared_messages_count);
      return { source: String(e.person_a), target: String(e.person_b), events, threads, messages, weight: events + threads + messages };
    })
    .sort((x, y) => y.weight - x.weight || x.source.localeCompare(y.source) || x.target.localeCompare(y.target));
  return { nodes, truncated: rows.length > opts.limit, edgesTotal: all.length, edges: all.slice(0, nodes.length * EDGES_PER_NODE) };
}
