import type { Queryable } from '../../db/db.js';
import type { ContactExtras, InteractionSummary, PersonSummary } from '../domain/contact-prompt-builder.js';
import { decodeSources } from '../../domain/people/source-mapping.js';

/*
 * Reads the linked person's figures from the people graph's tables for the prompt builder. Defensive on
 * purpose: the people tables come from another migration and may be absent or older, so a
 * missing table or column means "no extras", never an error.
 */

export async function tableExists(q: Queryable, table: string): Promise<boolean> {
  const sql =
    q.engine === 'sqlite'
      ? `SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = ?`
      : `SELECT 1 AS x FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?`;
  return (await q.get(sql, [table])) !== undefined;
}

const num = (v: unknown) => (v == null || v === '' ? undefined : Number(v));
const iso = (v: unknown) => (num(v) === undefined || Number.isNaN(num(v)) ? null : new Date(num(v)!).toISOString());

/** The person's counts, strength and most recent interactions; {} when unlinked or unavailable. */
export async function readPersonExtras(q: Queryable, personId: string | null | undefined, recent = 5): Promise<ContactExtras> {
  if (!personId || !(await tableExists(q, 'people'))) return {};
  let row: Record<string, unknown> | undefined;
  let id = personId;
  try {
    // Merged people stay as tombstones pointing at the survivor; follow a few hops.
    for (let hop = 0; hop < 5; hop++) {
      row = await q.get<Record<string, unknown>>('SELECT * FROM people WHERE id = ?', [id]);
      const next = row?.merged_into;
      if (typeof next !== 'string' || next === '') break;
      id = next;
    }
  } catch {
    return {};
  }
  if (!row) return {};
  const person: PersonSummary = {
    counts: {
      email: num(row.email_count) ?? 0,
      meeting: num(row.meeting_count) ?? 0,
      message: num(row.message_count) ?? 0,
      mention: num(row.mention_count) ?? 0,
      call: num(row.call_count) ?? 0,
    },
    strength: num(row.strength) ?? null,
    firstInteractionAt: iso(row.first_interaction_at),
    lastInteractionAt: iso(row.last_interaction_at),
    sources: typeof row.source_mask === 'number' ? decodeSources(row.source_mask) : undefined,
  };
  const extras: ContactExtras = { person };
  if (recent > 0 && (await tableExists(q, 'interactions'))) {
    try {
      const rows = await q.all<{ source_type: string; occurred_at: number; title: string | null; snippet: string | null }>(
        'SELECT source_type, occurred_at, title, snippet FROM interactions WHERE person_id = ? ORDER BY occurred_at DESC, source_type LIMIT ?',
        [id, recent],
      );
      extras.recentInteractions = rows.map((r): InteractionSummary => ({ at: iso(r.occurred_at) ?? '', source: r.source_type, title: r.title, snippet: r.snippet }));
    } catch {
      /* an older interactions table: counts alone still help */
    }
  }
  return extras;
}
