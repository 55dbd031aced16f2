import { z } from 'zod';
import { type Env, parseEnv, wholeNumber } from './parse-env.js';
import { ConfigError } from './config-error.js';
import { NOTION_CONTACT_PROPERTIES, type NotionContactProperties } from '../systems/notion/contact.mapper.js';

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
  /** The contacts data source's property names (defaults, overridden by NOTION_CONTACT_PROPERTIES). */
  contactProperties: NotionContactProperties;
}

const propertyName = z.string().trim().min(1, 'must be a property name (or null to leave the field out)');
/**
 * NOTION_CONTACT_PROPERTIES: a JSON object from canonical field to the Notion property that holds
 * it, e.g. {"company": "Organisation", "tags": "Labels", "linkedin_url": "LinkedIn"}; null leaves
 * a field out of Notion. The title and the Kith ID property cannot be left out.
 */
const contactPropertiesSchema = z
  .object({
    canonical_name: propertyName,
    kith_id: propertyName,
    emails: propertyName.nullable(),
    phones: propertyName.nullable(),
    company: propertyName.nullable(),
    job_title: propertyName.nullable(),
    category_code: propertyName.nullable(),
    subcategory_code: propertyName.nullable(),
    notes: propertyName.nullable(),
    tags: propertyName.nullable(),
    last_contacted: propertyName.nullable(),
    linkedin_url: propertyName.nullable(),
  })
  .partial()
  .strict();

/** The property names from NOTION_CONTACT_PROPERTIES over the defaults; a ConfigError names the field that is wrong. */
export function parseContactProperties(raw: string | undefined): NotionContactProperties {
  if (!raw?.trim()) return NOTION_CONTACT_PROPERTIES;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ConfigError('NOTION_CONTACT_PROPERTIES', 'must be a JSON object such as {"company": "Organisation", "tags": "Labels"}');
  }
  const r = contactPropertiesSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')}; fields: ${Object.keys(NOTION_CONTACT_PROPERTIES).join(', ')})` : '';
    const where = issue.path.length ? `.${issue.path.join('.')}` : '';
    throw new ConfigError(`NOTION_CONTACT_PROPERTIES${where}`, `${issue.message}${keys}`);
  }
  const out = { ...NOTION_CONTACT_PROPERTIES, ...r.data } as NotionContactProperties;
  const names = Object.values(out).filter((v): v is string => v != null);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new ConfigError('NOTION_CONTACT_PROPERTIES', `property '${twice}' is named for two fields`);
  return Object.freeze(out);
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
    contactProperties: parseContactProperties(env.NOTION_CONTACT_PROPERTIES),
  };
}
