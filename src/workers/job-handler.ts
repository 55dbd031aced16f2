import type { Job } from 'bullmq';
import type { z } from 'zod';
import type { Logger } from '../log/logger.js';

export interface JobContext {
  job: Job;
  /** Aborted when the process shuts down and the grace period ran out: stop and let go. */
  signal: AbortSignal;
  log: Logger;
}

/**
 * What a queue's worker does, declared in one place: the zod schema for `job.data` and a thin
 * function that calls a service. Errors go to the worker host, which maps them to BullMQ.
 */
export interface JobHandler<S extends z.ZodType = z.ZodType> {
  queue: string;
  schema: S;
  handle(data: z.infer<S>, ctx: JobContext): Promise<unknown>;
}

export function defineHandler<S extends z.ZodType>(h: JobHandler<S>): JobHandler<S> {
  return h;
}
