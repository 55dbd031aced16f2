import { z } from 'zod';
import { type Env, parseEnv } from './parse-env.js';

const httpUrl = z
  .string()
  .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an http:// or https:// URL');

export const supabaseSchema = z.object({
  SUPABASE_URL: httpUrl,
  SUPABASE_KEY: z.string().min(1, 'must be set'),
  SUPABASE_WEBHOOK_SECRET: z.string().min(8, 'must be at least 8 characters').optional(),
  SUPABASE_CONTACTS_TABLE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a plain lower-case table name')
    .default('contacts'),
});

export interface SupabaseConfig {
  url: string;
  /** Service-role key: the adapter writes sync columns that row-level security would hide. */
  key: string;
  /** Bearer secret the Database Webhook sends; unset = the webhook route is disabled. */
  webhookSecret?: string;
  table: string;
}

/** Whether the deployment uses Supabase at all (the URL is the switch). */
export function isSupabaseConfigured(env: Env = process.env): boolean {
  return Boolean(env.SUPABASE_URL?.trim());
}

export function loadSupabaseConfig(env: Env = process.env): SupabaseConfig {
  const c = parseEnv(supabaseSchema, env, ['SUPABASE_KEY', 'SUPABASE_WEBHOOK_SECRET']);
  return { url: c.SUPABASE_URL.replace(/\/+$/, ''), key: c.SUPABASE_KEY, webhookSecret: c.SUPABASE_WEBHOOK_SECRET, table: c.SUPABASE_CONTACTS_TABLE };
}
