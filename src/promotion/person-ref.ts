import type { Queryable } from '../db/db.js';
import { normaliseEmail, normaliseName } from '../domain/people/identity.js';
import { InvalidInputError, NotFoundError } from '../errors.js';

/**
 * A live person named by id, email or name. A merged person's id resolves to whoever absorbed
 * them; an email or name shared by several people is an error listing them, so the id is picked.
 */
export async function resolvePersonRef(q: Queryable, ref: string): Promise<string> {
  const r = ref.trim();
  if (!r) throw new InvalidInputError('person: give an id, an email or a name');
  let id: string | undefined = r;
  for (let hop = 0; id && hop < 64; hop++) {
    const row: { id: string; merged_into: string | null } | undefined = await q.get('SELECT id, merged_into FROM people WHERE id = ?', [id]);
    if (!row) break;
    if (!row.merged_into) return row.id;
    id = row.merged_into;
  }
  const email = r.includes('@') ? normaliseEmail(r) : null;
  const rows = email
    ? await q.all<{ id: string; canonical_name: string }>(`SELECT id, canonical_name FROM people WHERE merged_into IS NULL AND emails LIKE ? ORDER BY id`, [`%${JSON.stringify(email)}%`])
    : await q.all<{ id: string; canonical_name: string }>('SELECT id, canonical_name FROM people WHERE merged_into IS NULL AND name_key = ? ORDER BY id', [normaliseName(r)]);
  if (rows.length === 1) return rows[0]!.id;
  if (rows.length > 1) throw new InvalidInputError(`${r} names ${rows.length} people: ${rows.map((p) => `${p.id} (${p.canonical_name || 'no name'})`).join(', ')}`);
  throw new NotFoundError(`no person is known by ${JSON.stringify(r)} (give a person id, an email or a name)`);
}
