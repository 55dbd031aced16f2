import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Db } from '../db/db.js';
import { HUB_QUEUE } from '../hub/jobs/hub-queues.js';
import { basicAuthHook } from '../http/admin-auth.js';
import type { Logger } from '../log/logger.js';
import { registerNotionWebhook } from '../producers/notion-webhook.producer.js';
import type { RedisClient } from '../redis/connection.js';
import { openFlowProducer } from '../redis/queue-objects.js';
import { runOrder, type TableMapping } from './config/tables-config.js';
import { TABLES_QUEUE, type TablesJobData } from './jobs/table-queues.js';

const syncQuery = z.object({
  full: z.enum(['true', 'false', '1', '0', '']).optional().transform((v) => v === 'true' || v === '1'),
  hours: z.coerce.number().positive('must be a positive number of hours').optional(),
  force: z.enum(['true', 'false', '1', '0', '']).optional().transform((v) => v === 'true' || v === '1'),
});

export interface TablesHttpOptions {
  db: Db;
  log: Logger;
  tables: readonly TableMapping[];
  /** NOTION_WEBHOOK_TOKEN: unset, only the verification request is answered (every event is 401). */
  notionWebhookToken?: string;
  admin?: { user: string; password: string };
  /** Whether /api/sync/all runs the contact hub's sweep first (a hub system is configured). */
  contacts: boolean;
}

/**
 * The table sync's routes: `POST /webhooks/notion`, and behind the admin credentials
 * `POST /api/sync/<name>?full=&hours=&force=` and `POST /api/sync/all` (the contact hub's sweep
 * first, then every table, two-way before one-way). They queue jobs and answer 202 with their ids.
 */
export function tablesRoutes(o: TablesHttpOptions) {
  return async (app: FastifyInstance, server: { redis: RedisClient; queues: ReadonlyMap<string, Queue> }): Promise<void> => {
    const queue = server.queues.get(TABLES_QUEUE);
    if (!queue) throw new Error(`queue ${TABLES_QUEUE} is not declared`);
    await app.register(async (scope) => {
      scope.removeContentTypeParser('application/json');
      scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
      scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
      registerNotionWebhook(scope, { token: o.notionWebhookToken, queue, db: o.db, log: o.log });
    });
    await app.register(async (scope) => {
      if (o.admin) scope.addHook('onRequest', basicAuthHook(o.admin));
      // The options are in the query: any body (none, `{}`) is accepted and ignored.
      scope.removeContentTypeParser('application/json');
      scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
      scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
      scope.post('/api/sync/:name', async (req: FastifyRequest<{ Params: { name: string } }>, reply: FastifyReply) => {
        const q = syncQuery.safeParse(req.query);
        if (!q.success) return reply.code(400).send({ error: `${String(q.error.issues[0]!.path[0])}: ${q.error.issues[0]!.message}` });
        const name = req.params.name;
        const names = name === 'all' ? runOrder(o.tables).map((t) => t.name) : [name];
        if (name !== 'all' && !o.tables.some((t) => t.name === name)) return reply.code(404).send({ error: `no mapped table '${name}' (known: ${o.tables.map((t) => t.name).join(', ') || 'none'})` });
        const data: TablesJobData = { kind: 'run', tables: names, full: q.data.full, force: q.data.force, ...(q.data.hours ? { hours: q.data.hours } : {}) };
        if (name === 'all' && o.contacts) {
          // Contacts first: the tables' run is the parent of the contact hub's sweep, so it starts once that finished.
          const flows = openFlowProducer({ connection: server.redis, prefix: queue.opts.prefix }, o.log);
          try {
            const node = await flows.add({
              name: 'run',
              queueName: TABLES_QUEUE,
              data,
              opts: { failParentOnFailure: false },
              children: [{ name: 'sync_all_contacts', queueName: HUB_QUEUE.sweep, data: { dryRun: false }, opts: { ignoreDependencyOnFailure: true } }],
            });
            return reply.code(202).send({ accepted: true, order: ['contacts', ...names], jobId: node.job.id });
          } finally {
            await flows.close();
          }
        }
        if (!names.length) return reply.code(202).send({ accepted: true, order: [] });
        const job = await queue.add('run', data);
        return reply.code(202).send({ accepted: true, order: names, jobId: job.id });
      });
    });
  };
}
