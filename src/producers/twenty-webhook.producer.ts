import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { describeTwentyPayloadError, splitEventName, twentyWebhookPayload } from '../systems/twenty/webhook-payload.js';
import { TWENTY_NONCE_HEADER, TWENTY_SIGNATURE_HEADER, TWENTY_TIMESTAMP_HEADER, verifyTwentyWebhook } from '../systems/twenty/webhook-signature.js';
import { digest, type EchoFilter, echoOf, enqueueInbound, parseJson, type ProducerContext } from './inbound.producer.js';
import type { RedisClient } from '../redis/connection.js';

/** The keys that mark a delivery as seen: its signature and, when it has one, its nonce. */
function replayKeys(keyPrefix: string, headers: FastifyRequest['headers']): string[] {
  const sig = String(headers[TWENTY_SIGNATURE_HEADER]).trim().toLowerCase();
  const nonceHeader = headers[TWENTY_NONCE_HEADER];
  const nonce = typeof nonceHeader === 'string' && nonceHeader.trim() ? nonceHeader.trim() : undefined;
  return [`${keyPrefix}:twenty-sig:${sig}`, ...(nonce ? [`${keyPrefix}:twenty-nonce:${digest(nonce)}`] : [])];
}

/**
 * Claims every replay key (SET NX, forgotten after `ttlMs`) and, in the same round trip, reads
 * `alsoGet` when given. A delivery is fresh only when every key was claimed; a replay releases
 * the keys it claimed itself, so it leaves no trace.
 */
async function claimDelivery(redis: RedisClient, keys: readonly string[], ttlMs: number, alsoGet?: string): Promise<{ fresh: boolean; got?: string | null }> {
  const round = redis.pipeline();
  for (const k of keys) round.set(k, '1', 'PX', String(ttlMs), 'NX');
  if (alsoGet) round.get(alsoGet);
  const results = (await round.exec()) ?? [];
  const claimed = keys.map((_, i) => {
    const [err, value] = results[i] ?? [new Error('no reply')];
    if (err) throw err;
    return value === 'OK';
  });
  if (claimed.every(Boolean)) {
    const extra = results[keys.length];
    return { fresh: true, got: extra && !extra[0] ? (extra[1] as string | null) : undefined };
  }
  await Promise.all(keys.filter((_, i) => claimed[i]).map((k) => redis.del(k)));
  return { fresh: false };
}

/**
 * `POST /webhooks/twenty`: Twenty's signature (HMAC-SHA256 over `timestamp:body`, constant-time,
 * 5-minute tolerance), replays refused by signature and nonce, the payload validated with zod,
 * one inbound job per person event. A person record that is Kith's own write coming back is
 * answered 202 with no job (the link is read here; the write's intent, when the link does not
 * tell, in the replay check's round trip).
 */
export function registerTwentyWebhook(scope: FastifyInstance, ctx: ProducerContext, opts: { secret: string; toleranceMs: number; echo?: EchoFilter }): void {
  scope.post('/webhooks/twenty', async (req: FastifyRequest, reply: FastifyReply) => {
    const raw = typeof req.body === 'string' ? req.body : '';
    const v = verifyTwentyWebhook({
      secret: opts.secret,
      timestampHeader: req.headers[TWENTY_TIMESTAMP_HEADER],
      signatureHeader: req.headers[TWENTY_SIGNATURE_HEADER],
      rawBody: raw,
      nowMs: Date.now(),
      toleranceMs: opts.toleranceMs,
    });
    if (!v.ok) return reply.code(401).send({ error: v.reason });
    const json = parseJson(raw);
    if (!json.ok) return reply.code(400).send({ error: 'body: is not valid JSON' });
    const parsed = twentyWebhookPayload.safeParse(json.value);
    if (!parsed.success) return reply.code(400).send({ error: describeTwentyPayloadError(parsed.error) });
    const p = parsed.data;
    const { object, action } = splitEventName(p.eventName);
    // Replays: the signature covers timestamp and body, so a seen signature is a replay whatever
    // nonce it carries; a seen nonce is one too. Both are forgotten after twice the tolerance.
    const keys = replayKeys(ctx.keyPrefix, req.headers);
    const deleted = action === 'deleted' || action === 'destroyed';
    const probe = object === 'person' && !deleted && opts.echo ? await opts.echo(p.record, ctx.queuePrefix).catch(() => undefined) : undefined;
    let claim: Awaited<ReturnType<typeof claimDelivery>>;
    try {
      claim = await claimDelivery(ctx.redis, keys, 2 * opts.toleranceMs, probe && !probe.byLink ? probe.intentKey : undefined);
    } catch (err) {
      // Redis is unreachable: nothing claimed, nothing enqueued; Twenty's retry must be taken.
      return reply.code(503).send({ error: `could not check for a replay: ${(err as Error).message}` });
    }
    if (!claim.fresh) return reply.code(401).send({ error: 'replayed_delivery' });
    if (object !== 'person') return reply.code(202).send({ accepted: false, ignored: `${object} events are not contacts` });
    const echo = echoOf(probe, claim.got);
    if (echo) return reply.code(202).send({ accepted: true, echo });
    const r = p.record as { id: string; updatedAt?: unknown; deletedAt?: unknown };
    const jobId = `tw.${digest(`${r.id}|${action}|${String(r.updatedAt)}|${String(r.deletedAt)}`)}`;
    try {
      // The after-state rides along so the worker recognises an echo without reading Twenty.
      await enqueueInbound(ctx.inbound, jobId, { system: 'twenty', externalId: r.id, deleted, at: p.eventDate, ...(deleted ? {} : { record: p.record }) });
    } catch (err) {
      // Not enqueued, so not seen: Twenty's retry must be taken.
      await Promise.all(keys.map((k) => ctx.redis.del(k).catch(() => 0)));
      return reply.code(503).send({ error: `could not enqueue: ${(err as Error).message}` });
    }
    return reply.code(202).send({ accepted: true, jobId });
  });
}
