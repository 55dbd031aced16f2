import { z } from 'zod';
import { TARGET_SYSTEMS, type TargetSystem } from './hub-queues.js';

const system = z.enum(TARGET_SYSTEMS);
const item = z.object({ contactId: z.string().min(1), version: z.number().int().min(0) });

/** contacts-inbound: one change a system reported (its webhook's record, when it carried one). */
export const inboundJobData = z.object({ system, externalId: z.string().min(1), deleted: z.boolean().optional(), at: z.string().optional(), record: z.unknown().optional() });

/** contacts-fanout: the summary of one fan-out flow (its parent). */
export const fanoutJobData = z.object({ origin: z.string(), count: z.number().int(), enqueuedAt: z.number() }).loose();

/** contacts-to-<target>: records to write to that target. `summary`: this job is a whole fan-out (its only target), and reports it like a parent does. */
export const targetJobData = (target: TargetSystem) =>
  z.object({ target: z.literal(target), items: z.array(item).min(1), guard: z.boolean().optional(), summary: z.object({ origin: z.string() }).loose().optional() });

/** contacts-sweep: one sync_all_contacts run. */
export const sweepJobData = z.object({ dryRun: z.boolean().default(false) }).loose();
