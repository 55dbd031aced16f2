import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * Supabase Database Webhook body: `{type, table, schema, record, old_record}` (old_record null
 * on INSERT, record null on DELETE). These webhooks are not signed: the sender is configured to
 * add `Authorization: Bearer <secret>`, checked with `checkBearer`.
 */
const row = z.record(z.string(), z.unknown());
const base = { table: z.string().min(1), schema: z.string().min(1) };

export const supabaseWebhookPayload = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('INSERT'), record: row, old_record: z.null().optional() }),
  z.object({ ...base, type: z.literal('UPDATE'), record: row, old_record: row.nullable().optional() }),
  z.object({ ...base, type: z.literal('DELETE'), record: z.null().optional(), old_record: row }),
]);
export type SupabaseWebhookPayload = z.infer<typeof supabaseWebhookPayload>;

/** The first problem as `field: message`, for a 400 answer that names the field. */
export function describeSupabasePayloadError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'body: invalid';
  return `${issue.path.length ? issue.path.join('.') : 'body'}: ${issue.message}`;
}

/**
 * `Authorization: Bearer <secret>` in constant time. Both sides are hashed first so the
 * comparison has equal lengths and leaks neither the secret's length nor its prefix.
 */
export function checkBearer(header: string | string[] | undefined, secret: string): boolean {
  const value = Array.isArray(header) ? header[0] : header;
  const m = value ? /^Bearer\s+(.+)$/i.exec(value.trim()) : null;
  if (!m || !secret) return false;
  const a = createHash('sha256').update(m[1]!).digest();
  const b = createHash('sha256').update(secret).digest();
  return timingSafeEqual(a, b);
}
