import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Queryable } from '../db/db.js';
import type { Logger } from '../log/logger.js';
import { saveWebhookToken } from '../tables/stores/table-conflicts.store.js';
import { digest, parseJson } from './inbound.producer.js';

/** `sha256=<hex HMAC-SHA256 of the raw body keyed by the verification token>`, compared in constant time. */
export function checkNotionSignature(header: string | string[] | undefined, rawBody: string, token: string | undefined): boolean {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value || !token || !value.startsWith('sha256=')) return false;
  const given = Buffer.from(value.slice(7), 'hex');
  const expected = createHmac('sha256', token).update(rawBody).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function notionSignature(rawBody: string, token: string): string {
  return `sha256=${createHmac('sha256', token).update(rawBody).digest('hex')}`;
}

/** The one-time request Notion sends when a subscription is created (unsigned: the token is what signs later). */
const verification = z.object({ verification_token: z.string().min(1) }).strict();

/** An event: which page changed (the rest — its properties — is read from Notion by the job). */
const event = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  entity: z.object({ id: z.string().min(1), type: z.string().min(1) }),
});

/**
 * `POST /webhooks/notion`. The verification request is answered 200 and its token logged and
 * kept (`kith tables webhook-token`), to be configured as NOTION_WEBHOOK_TOKEN. Every other
 * request must carry `X-Notion-Signature` made with that token (401 otherwise), be an event
 * (400 otherwise); a page event queues one single-record job, its id the event's, so a
 * redelivery adds nothing. Bodies over the server's limit are 413. Nothing is enqueued in any
 * bad case.
 */
export function registerNotionWebhook(scope: FastifyInstance, opts: { token?: string; queue: Queue; db: Queryable; log: Logger }): void {
  scope.post('/webhooks/notion', async (req: FastifyRequest, reply: FastifyReply) => {
    const raw = typeof req.body === 'string' ? req.body : '';
    const json = parseJson(raw);
    const hasSignature = req.headers['x-notion-signature'] !== undefined;
    if (!hasSignature && json.ok) {
      const v = verification.safeParse(json.value);
      if (v.success) {
        await saveWebhookToken(opts.db, v.data.verification_token, Date.now());
        opts.log.warn({ verification_token: v.data.verification_token }, `Notion webhook verification token received: ${v.data.verification_token} — paste it into Notion's "Verify subscription" and set NOTION_WEBHOOK_TOKEN to it (also shown by \`kith tables webhook-token\`)`);
        return reply.code(200).send({ ok: true });
      }
    }
    if (!checkNotionSignature(req.headers['x-notion-signature'], raw, opts.token)) return reply.code(401).send({ error: 'bad_signature' });
    if (!json.ok) return reply.code(400).send({ error: 'body: is not valid JSON' });
    const e = event.safeParse(json.value);
    if (!e.success) {
      const issue = e.error.issues[0]!;
      return reply.code(400).send({ error: `${issue.path.join('.') || 'body'}: ${issue.message}` });
    }
    if (e.data.entity.type !== 'page') return reply.code(202).send({ accepted: true, ignored: e.data.type });
    const jobId = `notion.${digest(e.data.id)}`;
    try {
      await opts.queue.add('page', { kind: 'page', pageId: e.data.entity.id }, { jobId });
    } catch (err) {
      return reply.code(503).send({ error: `could not enqueue: ${(err as Error).message}` });
    }
    return reply.code(202).send({ accepted: true, jobId });
  });
}
