import type { Db } from '../db/db.js';
import { type CountField, SOURCE_COUNT_FIELD } from '../domain/people/source-mapping.js';
import { type ChannelCounts, frequencyWindowStart, strength } from '../domain/people/strength.js';
import type { InteractionSourceType } from '../sources/source-event.js';
import { pgArray } from './sql-support.js';

/**
 * Phase 3b: every live person's strength towards self (formula: src/domain/people/strength.ts),
 * from the cached counts plus one aggregation of the last 90 days; written back in one
 * statement on PostgreSQL, one prepared statement on SQLite.
 */
const CHANNEL: Record<CountField, keyof ChannelCounts> = {
  email_count: 'email',
  meeting_count: 'meeting',
  message_count: 'message',
  mention_count: 'mention',
  call_count: 'call',
};

const zero = (): ChannelCounts => ({ email: 0, meeting: 0, message: 0, call: 0, mention: 0 });

export async function computeStrengths(db: Db, now = Date.now()): Promise<{ updated: number }> {
  return db.tx(async (q) => {
    const people = await q.all<Record<CountField, number> & { id: string; last_interaction_at: number | null }>(
      'SELECT id, email_count, meeting_count, message_count, mention_count, call_count, last_interaction_at FROM people WHERE merged_into IS NULL',
    );
    const recentRows = await q.all<{ person_id: string; source_type: InteractionSourceType; n: number }>(
      'SELECT person_id, source_type, COUNT(*) AS n FROM interactions WHERE occurred_at >= ? GROUP BY person_id, source_type',
      [frequencyWindowStart(now)],
    );
    const recent = new Map<string, ChannelCounts>();
    for (const r of recentRows) {
      const field = SOURCE_COUNT_FIELD[r.source_type];
      if (!field) continue;
      let c = recent.get(r.person_id);
      if (!c) recent.set(r.person_id, (c = zero()));
      c[CHANNEL[field]] += Number(r.n);
    }
    const values = people.map((p) => {
      const total = zero();
      for (const f of Object.keys(CHANNEL) as CountField[]) total[CHANNEL[f]] = Number(p[f]);
      return { id: p.id, s: strength({ lastInteractionAt: p.last_interaction_at === null ? null : Number(p.last_interaction_at), recent: recent.get(p.id) ?? zero(), total }, now) };
    });
    if (q.engine === 'sqlite') {
      await q.runMany('UPDATE people SET strength = ?, strength_at = ? WHERE id = ?', values.map((v) => [v.s, now, v.id]));
    } else if (values.length > 0) {
      await q.run(
        'UPDATE people AS p SET strength = v.s, strength_at = ? FROM unnest(CAST(? AS text[]), CAST(? AS float8[])) AS v(id, s) WHERE p.id = v.id',
        [now, pgArray(values.map((v) => v.id)), pgArray(values.map((v) => v.s))],
      );
    }
    return { updated: values.length };
  });
}
