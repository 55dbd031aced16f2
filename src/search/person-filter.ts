import type { Db } from '../db/db.js';
import { normaliseName } from '../domain/people/identity.js';
import { InvalidInputError, NotFoundError } from '../errors.js';

export interface ResolvedPerson {
  id: string;
  name: string;
}

/**
 * A person as a user names them: an id (a merged person's id resolves to the person it was
 * merged into), an email, or a name (exact, else a unique partial match). Several people
 * matching is an error listing them.
 */
export async function resolvePerson(db: Db, given: string): Promise<ResolvedPerson> {
  const text = given.trim();
  if (!text) throw new InvalidInputError('person: give an id, an email or a name');
  let byId = await db.get<{ id: string; canonical_name: string; merged_into: string | null }>('SELECT id, canonical_name, merged_into FROM people WHERE id = ?', [text]);
  for (let hops = 0; byId?.merged_into && hops < 20; hops++) {
    byId = await db.get('SELECT id, canonical_name, merged_into FROM people WHERE id = ?', [byId.merged_into]);
  }
  if (byId) return { id: byId.id, name: byId.canonical_name };
  const live = 'merged_into IS NULL';
  const lower = text.toLowerCase();
  const candidates = text.includes('@')
    ? await db.all<{ id: string; canonical_name: string }>(`SELECT id, canonical_name FROM people WHERE ${live} AND emails LIKE ?`, [`%"${lower}"%`])
    : await byName(db, normaliseName(text));
  if (candidates.length === 1) return { id: candidates[0]!.id, name: candidates[0]!.canonical_name };
  if (!candidates.length) throw new NotFoundError(`person '${given}': no person with that id, email or name`);
  const list = candidates.slice(0, 10).map((c) => `${c.id} (${c.canonical_name || 'no name'})`).join(', ');
  throw new InvalidInputError(`person '${given}' matches ${candidates.length} people: ${list}; give an id`);
}

async function byName(db: Db, key: string): Promise<{ id: string; canonical_name: string }[]> {
  const exact = await db.all<{ id: string; canonical_name: string }>('SELECT id, canonical_name FROM people WHERE merged_into IS NULL AND name_key = ?', [key]);
  if (exact.length) return exact;
  const escaped = key.replace(/[\\%_]/g, (c) => `\\${c}`);
  return db.all<{ id: string; canonical_name: string }>(`SELECT id, canonical_name FROM people WHERE merged_into IS NULL AND name_key LIKE ? ESCAPE '\\' LIMIT 11`, [`%${escaped}%`]);
}
