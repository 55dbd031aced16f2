import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { HUB_QUEUE } from '../hub/jobs/hub-queues.js';
import { TABLES_QUEUE } from '../tables/jobs/table-queues.js';
import type { EchoFilter, ProducerContext } from './inbound.producer.js';
import { registerSupabaseWebhook } from './supabase-webhook.producer.js';
import { registerTwentyWebhook } from './twenty-webhook.producer.js';
import type { WebhookSettings } from './webhook-settings.js';
import type { RedisClient } from '../redis/connection.js';

/**
 * The webhook producers, as a route plugin for the HTTP server: verify (constant time), validate
 * (zod), enqueue one inbound job with a deterministic id, answer 202. In every bad case (401,
 * 400, 413 from the body limit) nothing is enqueued and nothing is written. Bodies are kept as
 * raw strings (a scoped content-type parser) for the signature and parsed by each producer. A
 * producer whose secret is not set is not mounted (404). With `supabaseEcho` / `twentyEcho`, a
 * record that is Kith's own write (one indexed read) is acknowledged without a job; anything
 * else — a record that needs a lookup to map, or an echo that arrives before the worker recorded
 * its write — goes to the worker, which checks again.
 */
export function webhookRoutes(settings: WebhookSettings, opts: { supabaseEcho?: EchoFilter; twentyEcho?: EchoFilter; tableNames?: ReadonlySet<string> } = {}) {
  return async (app: FastifyInstance, server: { redis: RedisClient; queues: ReadonlyMap<string, Queue> }): Promise<void> => {
    await app.register(async (scope) => {
      const inbound = server.queues.get(HUB_QUEUE.inbound);
      if (!inbound) throw new Error(`queue ${HUB_QUEUE.inbound} is not declared`);
      scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
      scope.removeContentTypeParser('application/json');
      scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
      const queuePrefix = inbound.opts.prefix ?? 'bull';
      const ctx: ProducerContext = { redis: server.redis, inbound, queuePrefix, keyPrefix: `${queuePrefix}:hub` };
      if (settings.twentySecret) registerTwentyWebhook(scope, ctx, { secret: settings.twentySecret, toleranceMs: settings.toleranceMs, echo: opts.twentyEcho });
      if (settings.supabaseSecret) registerSupabaseWebhook(scope, ctx, {
          secret: settings.supabaseSecret,
          table: settings.supabaseTable,
          echo: opts.supabaseEcho,
          // Rows of mapped Notion ↔ Supabase tables go to the table sync as single-record jobs.
          tableRows: opts.tableNames?.size && server.queues.get(TABLES_QUEUE) ? { tables: opts.tableNames, queue: server.queues.get(TABLES_QUEUE)! } : undefined,
        });
    });
  };
}
