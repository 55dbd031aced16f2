import type { DefaultJobOptions } from 'bullmq';
import type { SystemName } from '../domain/canonical-contact.js';

/**
 * The contact hub's queues, each named once here (src/queues/queue-registry.ts lists HUB_QUEUES
 * with every other area's queues):
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

export const TARGET_SYSTEMS = ['supabase', 'local', 'twenty', 'notion', 'google', 'bigquery'] as const satisfies readonly SystemName[];
export type TargetSystem = (typeof TARGET_SYSTEMS)[number];

export const targetQueue = (target: TargetSystem) => `contacts-to-${target}`;

/** Systems whose own edits flow back through the canonical store. */
export const SOURCE_SYSTEMS = ['twenty', 'notion', 'google', 'supabase', 'local'] as const satisfies readonly SystemName[];

/** One hub queue as the queue registry takes it: options on top of the registry's defaults. */
export interface HubQueueSpec {
  name: string;
  group: 'contacts';
  description: string;
  concurrency: number;
  jobOptions?: DefaultJobOptions;
}

/**
 * Inbound changes, fan-out parents, one queue per target so each target retries on its own and
 * can run in its own process, and the sweep.
 */
export const HUB_QUEUES: readonly HubQueueSpec[] = [
  { name: HUB_QUEUE.inbound, group: 'contacts', description: 'a change reported by Twenty/Supabase/local → canonical store → fan-out', concurrency: 16 },
  { name: HUB_QUEUE.fanout, group: 'contacts', description: 'parent of one fan-out flow: done when every target child finished', concurrency: 32 },
  ...TARGET_SYSTEMS.map((t) => ({
    name: targetQueue(t),
    group: 'contacts' as const,
    description: `write canonical contacts to ${t}`,
    // Twenty's 100 requests/minute is kept by Kith's own limiter, not by starving its queue of workers;
    // Google asks for one account's contact mutations to be sent one after another.
    concurrency: t === 'google' ? 1 : 16,
    jobOptions: { attempts: 8 },
  })),
  { name: HUB_QUEUE.sweep, group: 'contacts', description: 'sync_all_contacts every KITH_CONTACTS_SYNC_EVERY (catch-up from cursors)', concurrency: 1, jobOptions: { attempts: 3 } },
];
