import type { Queryable } from '../db/db.js';
import { newId } from './sql-support.js';

export type AuditKind = 'merge' | 'unmerge' | 'split' | 'link' | 'repair';

/** One row per merge, split, unmerge, phase-2 link run or repair; `details` is JSON. */
export async function writeAudit(q: Queryable, kind: AuditKind, summary: string, details: unknown, now = Date.now()): Promise<string> {
  const id = newId('a');
  await q.run('INSERT INTO people_audit (id, kind, summary, details, created_at) VALUES (?, ?, ?, ?, ?)', [id, kind, summary, JSON.stringify(details), now]);
  return id;
}

export interface AuditRow {
  id: string;
  kind: AuditKind;
  summary: string;
  details: string;
  undone_by: string | null;
  created_at: number;
}
