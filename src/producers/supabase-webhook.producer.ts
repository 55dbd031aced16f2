import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { stableStringify } from '../hub/domain/content-hash.js';
import { isOwnRowWrite } from '../tables/domain/own-row-write.js';
import { checkBearer, describeSupabasePayloadError, supabaseWebhookPayload, type SupabaseWebhookPayload } from '../systems/supabase/webhook-payload.js';
import { digest, type EchoFilter, echoOf, enqueueInbound, parseJson, type ProducerContext } from './inbound.producer.js';

/**
 * `POST /webhooks/supabase`: a Database Webhook (`{type, table, schema, record, old_record}`)
 * authenticated by `Authorization: Bearer <secret>` (constant-time), validated with zod, one
 * inbound job per row change, its id a digest of the payload so a redelivery adds nothing. A
 * row that is Kith's own write coming back is answered 202 with no job.
 */
export function registerSupabaseWebhook(
  scope: FastifyInstance,
  ctx: ProducerContext,
  opts: { secret: string; table: string; echo?: EchoFilter; tableRows?: { tables: ReadonlySet<string>; queue: Queue } },
): void {
  scope.post('/webhooks/supabase', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!checkBearer(req.headers.authorization, opts.secret)) return reply.code(401).send({ error: 'bad_authorization' });
    const raw = typeof req.body === 'string' ? req.body : '';
    const json = parseJson(raw);
    if (!json.ok) return reply.code(400).send({ error: 'body: is not valid JSON' });
    const parsed = supabaseWebhookPayload.safeParse(json.value);
    if (!parsed.success) return reply.code(400).send({ error: describeSupabasePayloadError(parsed.error) });
    const p = parsed.data;
    if (p.table !== opts.table && opts.tableRows?.tables.has(p.table)) return tableRow(p, opts.tableRows.queue, reply);
    if (p.table !== opts.table) return reply.code(400).send({ error: `table: must be '${opts.table}' (got '${p.table}')` });
    const row = (p.type === 'DELETE' ? p.old_record : p.record) as Record<string, unknown>;
    const field = p.type === 'DELETE' ? 'old_record' : 'record';
    const id = row.contact_id;
    if (typeof id !== 'string' || !id) return reply.code(400).send({ error: `${field}.contact_id: must be a non-empty string` });
    const at = typeof row.updated_at === 'string' ? row.updated_at : undefined;
    const deleted = p.type === 'DELETE' || row.deleted_at != null;
    if (!deleted && opts.echo) {
      const probe = await opts.echo(p.record, ctx.queuePrefix).catch(() => undefined);
      const echo = echoOf(probe, probe && !probe.byLink ? await ctx.redis.get(probe.intentKey).catch(() => undefined) : undefined);
      if (echo) return reply.code(202).send({ accepted: true, echo });
    }
    const jobId = `sb.${digest(`${p.type}|${stableStringify(p.record ?? null)}|${stableStringify(p.old_record ?? null)}`)}`;
    try {
      await enqueueInbound(ctx.inbound, jobId, { system: 'supabase', externalId: id, deleted, ...(at ? { at } : {}), ...(deleted ? {} : { record: p.record }) });
    } catch (err) {
      return reply.code(503).send({ error: `could not enqueue: ${(err as Error).message}` });
    }
    return reply.code(202).send({ accepted: true, jobId });
  });
}

/**
 * A row of a mapped Notion ↔ Supabase table: one single-record job of the table sync, its id a
 * digest of the payload. Kith's own writes coming back (marked by the table's trigger) are
 * answered 202 with no job: a job run later would act on whatever the row holds by then.
 */
async function tableRow(p: SupabaseWebhookPayload, queue: Queue, reply: FastifyReply) {
  const row = (p.type === 'DELETE' ? p.old_record : p.record) as Record<string, unknown>;
  const id = row.id;
  if ((typeof id !== 'string' && typeof id !== 'number') || id === '') return reply.code(400).send({ error: `${p.type === 'DELETE' ? 'old_record' : 'record'}.id: must be the row's id` });
  if (isOwnRowWrite(p)) return reply.code(202).send({ accepted: true, echo: 'kith_write' });
  const jobId = `sbt.${digest(`${p.table}|${p.type}|${stableStringify(p.record ?? null)}|${stableStringify(p.old_record ?? null)}`)}`;
  try {
    await queue.add('row', { kind: 'row', supabaseTable: p.table, rowId: String(id) }, { jobId });
  } catch (err) {
    return reply.code(503).send({ error: `could not enqueue: ${(err as Error).message}` });
  }
  return reply.code(202).send({ accepted: true, jobId });
}
