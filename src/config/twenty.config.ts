import { z } from 'zod';
import { type Env, parseEnv, wholeNumber } from './parse-env.js';

const httpUrl = z
  .string()
  .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an http:// or https:// URL');

export const twentySchema = z.object({
  // No default: a forgotten setting must fail at start-up, never fall back to a public host.
  TWENTY_API_URL: httpUrl,
  TWENTY_API_KEY: z.string().min(1, 'must be set'),
  TWENTY_WEBHOOK_SECRET: z.string().min(8, 'must be at least 8 characters').optional(),
  TWENTY_RATE_LIMIT_PER_MINUTE: wholeNumber(1, 10_000).default(100),
  /** The window that budget is counted over: a minute, as Twenty counts; shorter only to measure the limiter quickly. */
  TWENTY_RATE_LIMIT_WINDOW_MS: wholeNumber(100, 3_600_000).default(60_000),
  /** A custom text field of Twenty's people (made in its data model) that holds the category code; unset: categories stay out of Twenty. */
  TWENTY_CATEGORY_FIELD: z
    .string()
    .regex(/^[a-z][A-Za-z0-9]*$/, 'must be the API name of a custom field of Twenty’s people, such as kithCategory')
    .optional(),
});

export interface TwentyConfig {
  /** Origin (and optional path prefix) of the Twenty server, without a trailing slash. */
  apiUrl: string;
  apiKey: string;
  /** Secret of the Twenty webhook pointing at Kith; unset = the webhook route is disabled. */
  webhookSecret?: string;
  /** Request budget of the whole deployment (every process, through Redis); Twenty documents 100 requests per minute. */
  rateLimit: { limit: number; windowMs: number };
  /** TWENTY_CATEGORY_FIELD. */
  categoryField?: string;
}

/** Whether the deployment uses Twenty at all (the URL is the switch). */
export function isTwentyConfigured(env: Env = process.env): boolean {
  return Boolean(env.TWENTY_API_URL?.trim());
}

export function loadTwentyConfig(env: Env = process.env): TwentyConfig {
  const c = parseEnv(twentySchema, env, ['TWENTY_API_KEY', 'TWENTY_WEBHOOK_SECRET']);
  return {
    apiUrl: c.TWENTY_API_URL.replace(/\/+$/, ''),
    apiKey: c.TWENTY_API_KEY,
    webhookSecret: c.TWENTY_WEBHOOK_SECRET,
    rateLimit: { limit: c.TWENTY_RATE_LIMIT_PER_MINUTE, windowMs: c.TWENTY_RATE_LIMIT_WINDOW_MS },
    categoryField: c.TWENTY_CATEGORY_FIELD,
  };
}

/** TWENTY_CATEGORY_FIELD alone (the webhook route maps records with it), checked the same way. */
export function twentyMapping(env: Env = process.env): { categoryField?: string } {
  const v = env.TWENTY_CATEGORY_FIELD?.trim();
  if (!v) return {};
  return { categoryField: parseEnv(twentySchema.pick({ TWENTY_CATEGORY_FIELD: true }), env).TWENTY_CATEGORY_FIELD };
}
