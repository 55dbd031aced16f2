import type { Db } from '../db/db.js';
import { InvalidInputError } from '../errors.js';
import { markPeopleChanged } from './person-contacts.store.js';
import { resolvePersonRef } from './person-ref.js';
import { type CategoryRef, parseCategoryRef } from './promotion-config.js';

/**
 * `kith people categorize <person> <code>`: the person's category (and subcategory) set by hand,
 * kept over any configuration rule; `-` clears it (rules apply again). Its contact takes the code
 * at the next promotion. Idempotent.
 */
export async function categorizePerson(db: Db, ref: string, code: string, now = Date.now()): Promise<{ personId: string; category: CategoryRef | null }> {
  const clear = code.trim() === '-';
  const parsed = clear ? null : parseCategoryRef(code);
  if (!clear && !parsed) throw new InvalidInputError(`category: ${JSON.stringify(code)} is not a code: give A–H or X, optionally followed by .<sub> (G, G.2), or - to clear`);
  const personId = await resolvePersonRef(db, ref);
  await db.tx(async (q) => {
    await q.run('UPDATE people SET category_code = ?, subcategory_code = ?, category_source = ?, updated_at = ? WHERE id = ?', [
      parsed?.category ?? null,
      parsed?.subcategory ?? null,
      parsed ? 'manual' : null,
      now,
      personId,
    ]);
    await markPeopleChanged(q, [personId]);
  });
  return { personId, category: parsed ?? null };
}
