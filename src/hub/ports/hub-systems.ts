import type { CanonicalContact, SystemName } from '../domain/canonical-contact.js';
import type { FieldOwnership } from '../domain/field-ownership.js';
import type { TargetSystem } from '../jobs/hub-queues.js';
import type { CanonicalStore } from './canonical-store.js';
import type { ContactSystem } from './contact-system.js';

/** A canonical store that can read many records in one call (BigQuery) or not (local: cheap reads). */
export type HubCanonicalStore = CanonicalStore & { getMany?(ids: readonly string[]): Promise<Map<string, CanonicalContact>> };

/**
 * Every system the hub talks to, built outside the hub (src/app/hub-systems.ts builds them from
 * configuration) and handed in: the canonical store and the targets, each behind its interface.
 */
export interface HubSystems {
  canonical: HubCanonicalStore;
  canonicalName: SystemName;
  targets: ReadonlyMap<TargetSystem, ContactSystem>;
  ownership: FieldOwnership;
  close(): Promise<void>;
}

/** Canonical records by id, in one call where the store can. */
export async function readCanonicalMany(store: HubCanonicalStore, ids: readonly string[]): Promise<Map<string, CanonicalContact>> {
  if (store.getMany) return store.getMany(ids);
  const out = new Map<string, CanonicalContact>();
  for (const id of new Set(ids)) {
    const c = await store.get(id);
    if (c) out.set(id, c);
  }
  return out;
}
