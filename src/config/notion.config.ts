import { z } from 'zod';
import { type Env, parseEnv, wholeNumber } from './parse-env.js';

const httpUrl = z
  .string()
  .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an http:// or https:// URL');

/** Notion's public API; tests and examples always set NOTION_API_URL to a loopback emulator. */
export const NOTION_PUBLIC_API_URL = 'https://api.notion.com';

export const notionSchema = z.object({
  NOTION_TOKEN: z.string().min(1, 'must be set'),
  NOTION_API_URL: httpUrl.default(NOTION_PUBLIC_API_URL),
  /** Requests per second for the whole deployment; Notion documents an average of 3 per integration. */
  NOTION_RATE_LIMIT: wholeNumber(1, 1000).default(3),
  NOTION_CONTACTS_DATA_SOURCE: z.string().regex(/^[0-9a-fA-F-]{32,36}$/, 'must be a Notion data source id (32 hex digits, dashes allowed)').optional(),
  NOTION_WEBHOOK_TOKEN: z.string().min(8, 'must be at least 8 characters').optional(),
});

export interface NotionConfig {
  token: string;
  /** Origin of the API, without a trailing slash (the SDK adds /v1/…). */
  apiUrl: string;
  /** Request budget: `limit` per `windowMs` (a second). */
  rateLimit: { limit: number; windowMs: number };
  /** The data source holding the contact hub's CRM records; unset = Notion is not a hub system. */
  contactsDataSource?: string;
  /** The verification token of Notion's webhook subscription (signs every event); unset = the route is disabled. */
  webhookToken?: string;
}

/** Whether the deployment uses Notion at all (the token is the switch). */
export function isNotionConfigured(env: Env = process.env): boolean {
  return Boolean(env.NOTION_TOKEN?.trim());
}

export function loadNotionConfig(env: Env = process.env): NotionConfig {
  const c = parseEnv(notionSchema, env, ['NOTION_TOKEN', 'NOTION_WEBHOOK_TOKEN']);
  return {
    token: c.NOTION_TOKEN,
    apiUrl: c.NOTION_API_URL.replace(/\/+$/, ''),
    rateLimit: { limit: c.NOTION_RATE_LIMIT, windowMs: 1000 },
    contactsDataSource: c.NOTION_CONTACTS_DATA_SOURCE,
    webhookToken: c.NOTION_WEBHOOK_TOKEN,
  };
}
