import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { EchoProbe } from '../hub/services/echo-check.service.js';
import type { InboundChange } from '../hub/services/inbound.service.js';
import type { RedisClient } from '../redis/connection.js';

/** What every webhook producer is given: the shared Redis connection and the inbound queue. */
export interface ProducerContext {
  redis: RedisClient;
  inbound: Queue;
  /** The queues' prefix, under which the hub keeps the intents of its writes (src/hub/stores/echo-intents.store.ts). */
  queuePrefix: string;
  /** Where producers keep their own keys (replay markers): `<queuePrefix>:hub`. */
  keyPrefix: string;
}

/**
 * Recognises Kith's own write coming back in a webhook's record (src/hub/services/echo-check.service.ts): undefined for a
 * record that cannot be judged here. `prefix`: the queues' prefix.
 */
export type EchoFilter = (record: unknown, prefix: string) => Promise<EchoProbe | undefined>;

/** The echo's contact id when the probe says Kith wrote this record (`intent`: the value at its intent key). */
export const echoOf = (probe: EchoProbe | undefined, intent?: string | null): string | undefined =>
  probe && (probe.byLink || probe.byIntent(intent)) ? probe.contactId : undefined;

/** A short, stable digest for job ids and replay keys. */
export const digest = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 24);

export function parseJson(raw: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(raw) };
  } catch {
    return { ok: false };
  }
}

/** How long a webhook waits for Redis to take its job before it answers 503 (the sender delivers again). */
export const ENQUEUE_TIMEOUT_MS = 5_000;

/**
 * One inbound job with a deterministic id: BullMQ adds nothing for an id it already holds, so a
 * redelivered webhook enqueues nothing new. While Redis does not answer the add would wait for
 * it indefinitely (the queues' connection retries forever): past `timeoutMs` this fails instead,
 * so the route answers 503 and the sender retries; an add that lands later is the same job.
 */
export async function enqueueInbound(queue: Queue, jobId: string, data: InboundChange, timeoutMs = ENQUEUE_TIMEOUT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const add = queue.add('inbound', data, { jobId });
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not take the job within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    await Promise.race([add, late]);
  } finally {
    clearTimeout(timer);
    add.catch(() => undefined); // settled after the answer: its outcome is the retry's business
  }
}
