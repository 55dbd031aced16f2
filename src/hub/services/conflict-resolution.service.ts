import type { Db } from '../../db/db.js';
import { buildTakenContact, parseTakeSpecs } from '../domain/conflict-take.js';
import { InvalidInputError, NotFoundError } from '../../errors.js';
import type { CanonicalContact } from '../domain/canonical-contact.js';
import type { CanonicalStore, PutOutcome } from '../ports/canonical-store.js';
import { getConflict, markConflictResolved, type StoredConflict } from '../stores/sync-conflicts.store.js';

export interface ConflictResolutionResult {
  conflict: StoredConflict;
  contact: CanonicalContact;
  outcome: PutOutcome;
}

/**
 * `kith contacts resolve <id> --take …`: build the chosen record, store it in the canonical
 * store with a compare-and-set on the version read (a concurrent change makes this fail with
 * VersionConflictError; run it again), then close the conflict. The new version is above
 * both sides, so the next propagation (sync or the scheduled sync-all, which reads the
 * canonical store's change cursor) carries it to every system.
 */
export async function resolveStoredConflict(db: Db, store: CanonicalStore, conflictId: string, take: readonly string[], now = Date.now()): Promise<ConflictResolutionResult> {
  const conflict = await getConflict(db, conflictId);
  if (!conflict) throw new NotFoundError(`no conflict with id ${conflictId}`);
  if (conflict.resolvedAt != null) throw new InvalidInputError(`conflict ${conflictId} was already resolved at ${new Date(conflict.resolvedAt).toISOString()}`);
  const spec = parseTakeSpecs(take, [conflict.a.system, conflict.b.system]);
  const current = await store.get(conflict.contactId);
  const contact = buildTakenContact(conflict.contactId, current, [conflict.a, conflict.b], spec, new Date(now).toISOString());
  const outcome = await store.put(contact, current?.sync_metadata.version ?? 0, { origin: 'conflict-resolution' });
  await markConflictResolved(db, conflictId, { take, version: contact.sync_metadata.version }, now);
  return { conflict, contact, outcome };
}
