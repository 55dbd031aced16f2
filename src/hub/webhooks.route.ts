import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { type Env, parseEnv } from '../config/parse-env.js';
import { supabaseSchema } from '../config/supabase.config.js';
import { twentySchema } from '../config/twenty.config.js';
import { stableStringify } from '../contacts/content-hash.js';
import { checkBearer, describeSupabasePayloadError, supabaseWebhookPayload } from '../systems/supabase/webhook-payload.js';
import { describeTwentyPayloadError, splitEventName, twentyWebhookPayload } from '../systems/twenty/webhook-payload.js';
import {
  TWENTY_DEFAULT_TOLERANCE_MS,
  TWENTY_NONCE_HEADER,
  TWENTY_SIGNATURE_HEADER,
  TWENTY_TIMESTAMP_HEADER,
  verifyTwentyWebhook,
} from '../systems/twenty/webhook-signature.js';
import { HUB_QUEUE } from './hub-queues.js';
import type { EchoProbe } from './echo-check.js';
import type { InboundChange } from './inbound.service.js';

export interface WebhookSettings {
  twentySecret?: string;
  supabaseSecret?: string;
  supabaseTable: string;
  toleranceMs: number;
}

/** Only the webhook secrets: the API process needs no Twenty/Supabase API credentials. */
export function loadWebhookSettings(env: Env = process.env): WebhookSettings {
  const t = parseEnv(twentySchema.pick({ TWENTY_WEBHOOK_SECRET: true }), env, ['TWENTY_WEBHOOK_SECRET']);
  const s = parseEnv(supabaseSchema.pick({ SUPABASE_WEBHOOK_SECRET: true, SUPABASE_CONTACTS_TABLE: true }), env, ['SUPABASE_WEBHOOK_SECRET']);
  return { twentySecret: t.TWENTY_WEBHOOK_SECRET, supabaseSecret: s.SUPABASE_WEBHOOK_SECRET, supabaseTable: s.SUPABASE_CONTACTS_TABLE, toleranceMs: TWENTY_DEFAULT_TOLERANCE_MS };
}

const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 24);

function parseJson(raw: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(raw) };
  } catch {
    return { ok: false };
  }
}

async function enqueue(queue: Queue, jobId: string, data: InboundChange): Promise<void> {
  await queue.add('inbound', data, { jobId });
}

/**
 * Recognises Kith's own write coming back in a webhook's record (echo-check.ts): undefined for a
 * record that cannot be judged here. `prefix`: the queues' prefix, under which the hub keeps
 * the intents of its writes (echo-intents.ts).
 */
export type EchoFilter = (record: unknown, prefix: string) => Promise<EchoProbe | undefined>;

/** The echo's contact id when the probe says Kith wrote this record (`intent`: the value at its intent key). */
const echoOf = (probe: EchoProbe | undefined, intent?: string | null): string | undefined => (probe && (probe.byLink || probe.byIntent(intent)) ? probe.contactId : undefined);

/**
 * The webhook producers: verify (constant time), validate (zod), enqueue one inbound job with a
 * deterministic id, answer 202. In every bad case (401, 400, 413 from the body limit) nothing is
 * enqueued and nothing is written. The body is kept as the raw string for the HMAC (a scoped
 * content-type parser) and parsed here. With `supabaseEcho` / `twentyEcho`, a record that is
 * Kith's own write (one indexed read) is acknowledged without a job; anything else — a record
 * that needs a lookup to map, or an echo that arrives before the worker recorded its write —
 * goes to the worker, which checks again.
 */
export function webhookRoutes(settings: WebhookSettings, opts: { supabaseEcho?: EchoFilter; twentyEcho?: EchoFilter } = {}) {
  return async (app: FastifyInstance, ctx: { redis: Redis; queues: ReadonlyMap<string, Queue> }): Promise<void> => {
    await app.register(async (scope) => {
      const queue = ctx.queues.get(HUB_QUEUE.inbound);
      if (!queue) throw new Error(`queue ${HUB_QUEUE.inbound} is not declared`);
      scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
      scope.removeContentTypeParser('application/json');
      scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
      const queuePrefix = queue.opts.prefix ?? 'bull';
      const prefix = `${queuePrefix}:hub`;

      if (settings.twentySecret) {
        const secret = settings.twentySecret;
        scope.post('/webhooks/twenty', async (req: FastifyRequest, reply: FastifyReply) => {
          const raw = typeof req.body === 'string' ? req.body : '';
          const v = verifyTwentyWebhook({
            secret,
            timestampHeader: req.headers[TWENTY_TIMESTAMP_HEADER],
            signatureHeader: req.headers[TWENTY_SIGNATURE_HEADER],
            rawBody: raw,
            nowMs: Date.now(),
            toleranceMs: settings.toleranceMs,
          });
          if (!v.ok) return reply.code(401).send({ error: v.reason });
          const json = parseJson(raw);
          if (!json.ok) return reply.code(400).send({ error: 'body: is not valid JSON' });
          const parsed = twentyWebhookPayload.safeParse(json.value);
          if (!parsed.success) return reply.code(400).send({ error: describeTwentyPayloadError(parsed.error) });
          const p = parsed.data;
          const { object, action } = splitEventName(p.eventName);
          // Replays: the signature covers timestamp and body, so a seen signature is a replay
          // whatever nonce it carries; a seen nonce is one too. Both are forgotten after the tolerance.
          const ttl = String(2 * settings.toleranceMs);
          const sig = String(req.headers[TWENTY_SIGNATURE_HEADER]).trim().toLowerCase();
          const nonceHeader = req.headers[TWENTY_NONCE_HEADER];
          const nonce = typeof nonceHeader === 'string' && nonceHeader.trim() ? nonceHeader.trim() : undefined;
          const keys = [`${prefix}:twenty-sig:${sig}`, ...(nonce ? [`${prefix}:twenty-nonce:${digest(nonce)}`] : [])];
          const deleted = action === 'deleted' || action === 'destroyed';
          // Whether the record is Kith's own write coming back: the link is read here; the
          // intent, when the link does not tell, in the same round trip as the replay check.
          const probe = object === 'person' && !deleted && opts.twentyEcho ? await opts.twentyEcho(p.record, queuePrefix).catch(() => undefined) : undefined;
          const round = ctx.redis.pipeline();
          for (const k of keys) round.set(k, '1', 'PX', ttl, 'NX');
          if (probe && !probe.byLink) round.get(probe.intentKey);
          const results = (await round.exec()) ?? [];
          const fresh = keys.map((_, i) => {
            const [err, value] = results[i] ?? [new Error('no reply')];
            if (err) throw err;
            return value;
          });
          if (fresh.some((f) => f !== 'OK')) {
            await Promise.all(keys.filter((_, i) => fresh[i] === 'OK').map((k) => ctx.redis.del(k)));
            return reply.code(401).send({ error: 'replayed_delivery' });
          }
          if (object !== 'person') return reply.code(202).send({ accepted: false, ignored: `${object} events are not contacts` });
          const r = p.record as { id: string; updatedAt?: unknown; deletedAt?: unknown };
          const jobId = `tw.${digest(`${r.id}|${action}|${String(r.updatedAt)}|${String(r.deletedAt)}`)}`;
          const intent = results[keys.length];
          const echo = echoOf(probe, intent && !intent[0] ? (intent[1] as string | null) : undefined);
          if (echo) return reply.code(202).send({ accepted: true, echo });
          try {
            // The after-state rides along so the worker recognises an echo without reading Twenty.
            await enqueue(queue, jobId, { system: 'twenty', externalId: r.id, deleted, at: p.eventDate, ...(deleted ? {} : { record: p.record }) });
          } catch (err) {
            await Promise.all(keys.map((k) => ctx.redis.del(k).catch(() => 0)));
            return reply.code(503).send({ error: `could not enqueue: ${(err as Error).message}` });
          }
          return reply.code(202).send({ accepted: true, jobId });
        });
      }

      if (settings.supabaseSecret) {
        const secret = settings.supabaseSecret;
        scope.post('/webhooks/supabase', async (req: FastifyRequest, reply: FastifyReply) => {
          if (!checkBearer(req.headers.authorization, secret)) return reply.code(401).send({ error: 'bad_authorization' });
          const raw = typeof req.body === 'string' ? req.body : '';
          const json = parseJson(raw);
          if (!json.ok) return reply.code(400).send({ error: 'body: is not valid JSON' });
          const parsed = supabaseWebhookPayload.safeParse(json.value);
          if (!parsed.success) return reply.code(400).send({ error: describeSupabasePayloadError(parsed.error) });
          const p = parsed.data;
          if (p.table !== settings.supabaseTable) return reply.code(400).send({ error: `table: must be '${settings.supabaseTable}' (got '${p.table}')` });
          const row = (p.type === 'DELETE' ? p.old_record : p.record) as Record<string, unknown>;
          const field = p.type === 'DELETE' ? 'old_record' : 'record';
          const id = row.contact_id;
          if (typeof id !== 'string' || !id) return reply.code(400).send({ error: `${field}.contact_id: must be a non-empty string` });
          const at = typeof row.updated_at === 'string' ? row.updated_at : undefined;
          const deleted = p.type === 'DELETE' || row.deleted_at != null;
          if (!deleted && opts.supabaseEcho) {
            const probe = await opts.supabaseEcho(p.record, queuePrefix).catch(() => undefined);
            const echo = echoOf(probe, probe && !probe.byLink ? await ctx.redis.get(probe.intentKey).catch(() => undefined) : undefined);
            if (echo) return reply.code(202).send({ accepted: true, echo });
          }
          const jobId = `sb.${digest(`${p.type}|${stableStringify(p.record ?? null)}|${stableStringify(p.old_record ?? null)}`)}`;
          try {
            await enqueue(queue, jobId, { system: 'supabase', externalId: id, deleted, ...(at ? { at } : {}), ...(deleted ? {} : { record: p.record }) });
          } catch (err) {
            return reply.code(503).send({ error: `could not enqueue: ${(err as Error).message}` });
          }
          return reply.code(202).send({ accepted: true, jobId });
        });
      }
    });
  };
}
