import { type Env, parseEnv } from '../config/parse-env.js';
import { supabaseSchema } from '../config/supabase.config.js';
import { twentySchema } from '../config/twenty.config.js';
import { TWENTY_DEFAULT_TOLERANCE_MS } from '../systems/twenty/webhook-signature.js';

/** What the webhook producers need: the secrets, Supabase's table, Twenty's timestamp tolerance. */
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
