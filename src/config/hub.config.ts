import { z } from 'zod';
import { type Env, parseEnv, wholeNumber } from './parse-env.js';

/** `5m`, `300s`, `300000` (ms) or `300000ms` → milliseconds; at least one second. */
export function parseDuration(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/i.exec(v.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? 'ms').toLowerCase();
  const ms = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms']!;
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

const duration = (min: number, max: number) =>
  z.string().transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined || ms < min || ms > max) {
      ctx.addIssue({ code: 'custom', message: `must be a duration from ${min / 1000}s to ${max / 3_600_000}h such as 5m, 300s or 300000 (ms)` });
      return z.NEVER;
    }
    return ms;
  });

export const hubSchema = z.object({
  /** The catch-up sweep (`sync_all_contacts`) runs this often. */
  KITH_CONTACTS_SYNC_EVERY: duration(1000, 24 * 3_600_000).default(5 * 60_000),
  /** Records per listChanged page in the sweep; the cursor is saved after each page. */
  KITH_CONTACTS_PAGE_SIZE: wholeNumber(1, 5000).default(500),
  /** Alerts are POSTed here as JSON when set (never by default). */
  KITH_ALERT_WEBHOOK_URL: z
    .string()
    .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an http:// or https:// URL')
    .optional(),
  /** An alert whose condition lasts is sent again (as a reminder with its count) this often; repeats in between are only counted. */
  KITH_ALERT_REMIND_EVERY: duration(1000, 24 * 3_600_000).default(15 * 60_000),
  /**
   * The delete valve: a target is not sent more deletions within an hour than this share of the
   * contacts it holds (at least 10); the rest wait in the outbox and an alert is raised.
   */
  KITH_CONTACTS_MAX_DELETE_SHARE: z.coerce.number({ error: 'must be a number between 0 and 1' }).min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').default(0.1),
});

export interface HubConfig {
  syncEveryMs: number;
  pageSize: number;
  alertWebhookUrl?: string;
  alertRemindEveryMs: number;
  /** KITH_CONTACTS_MAX_DELETE_SHARE (default 0.1). */
  maxDeleteShare?: number;
}

export function loadHubConfig(env: Env = process.env): HubConfig {
  const c = parseEnv(hubSchema, env, ['KITH_ALERT_WEBHOOK_URL']);
  return { syncEveryMs: c.KITH_CONTACTS_SYNC_EVERY, pageSize: c.KITH_CONTACTS_PAGE_SIZE, alertWebhookUrl: c.KITH_ALERT_WEBHOOK_URL, alertRemindEveryMs: c.KITH_ALERT_REMIND_EVERY, maxDeleteShare: c.KITH_CONTACTS_MAX_DELETE_SHARE };
}

