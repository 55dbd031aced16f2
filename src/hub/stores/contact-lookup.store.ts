import { NotFoundError, InvalidInputError } from '../../errors.js';
import type { CanonicalContact } from '../domain/canonical-contact.js';
import type { CanonicalStore } from '../ports/canonical-store.js';

/**
 * A contact by id or by email (`kith contacts show`, `kith prompt`). An address shared by
 * several contacts is an error listing them, so a person picks the id.
 */
export async function findContact(store: CanonicalStore, ref: string): Promise<CanonicalContact> {
  const r = ref.trim();
  if (r.includes('@')) {
    const found = await store.findByEmail(r);
    const live = found.filter((c) => c.deleted_at == null);
    const pick = live.length ? live : found;
    if (pick.length === 1) return pick[0]!;
    if (pick.length > 1) throw new InvalidInputError(`${r} belongs to ${pick.length} contacts: ${pick.map((c) => `${c.contact_id} (${c.canonical_name})`).join(', ')}`);
    throw new NotFoundError(`no contact has the email ${r}`);
  }
  const c = await store.get(r);
  if (!c) throw new NotFoundError(`no contact with id ${r}`);
  return c;
}
