import type { SystemName } from '../domain/canonical-contact.js';

/**
 * The contact hub's queues (declared with their options in queue-registry.ts, CONTACT_QUEUES):
 *  - contacts-inbound: one change reported by a system (webhook) → canonical store → fan-out
 *  - contacts-fanout: parent of one fan-out flow; runs once every target child has finished
 *  - contacts-to-<target>: write canonical records to one target (own retries per target)
 *  - contacts-sweep: the repeatable sync_all_contacts catch-up
 */
export const HUB_QUEUE = {
  inbound: 'contacts-inbound',
  fanout: 'contacts-fanout',
  sweep: 'contacts-sweep',
} as const;

export const TARGET_SYSTEMS = ['supabase', 'local', 'twenty', 'bigquery'] as const satisfies readonly SystemName[];
export type TargetSystem = (typeof TARGET_SYSTEMS)[number];

export const targetQueue = (target: TargetSystem) => `contacts-to-${target}`;

/** Systems whose own edits flow back through the canonical store. */
export const SOURCE_SYSTEMS = ['twenty', 'supabase', 'local'] as const satisfies readonly SystemName[];
