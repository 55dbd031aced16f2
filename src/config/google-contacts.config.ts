import { z } from 'zod';
import { PEOPLE_READS_PER_MINUTE, PEOPLE_WRITES_PER_MINUTE } from '../systems/google/google-quota.js';
import { type Env, parseEnv, wholeNumber } from './parse-env.js';

const httpUrl = z.string().refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an http:// or https:// URL');

/** Google's People API root; tests and examples always set GOOGLE_PEOPLE_API_URL to a loopback emulator. */
export const GOOGLE_PEOPLE_PUBLIC_URL = 'https://people.googleapis.com/';

export const googleContactsSchema = z.object({
  /** The switch: Google Contacts is a system of the contact hub (the account of `kith auth google`, or GOOGLE_ACCESS_TOKEN). */
  GOOGLE_CONTACTS_HUB: z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' }).default('false'),
  GOOGLE_PEOPLE_API_URL: httpUrl.default(GOOGLE_PEOPLE_PUBLIC_URL),
  /** Contact reads and writes a minute for the whole deployment (Google's default per-user quota: 90 each). */
  GOOGLE_PEOPLE_READS_PER_MINUTE: wholeNumber(1, 100_000).default(PEOPLE_READS_PER_MINUTE),
  GOOGLE_PEOPLE_WRITES_PER_MINUTE: wholeNumber(1, 100_000).default(PEOPLE_WRITES_PER_MINUTE),
});

export interface GoogleContactsConfig {
  /** The API root (`rootUrl`), with a trailing slash. */
  apiUrl: string;
  reads: { limit: number; windowMs: number };
  writes: { limit: number; windowMs: number };
}

/**
 * Whether Google Contacts is a system of the contact hub (GOOGLE_CONTACTS_HUB is the switch). Any
 * value but an explicit no turns it on, so that a mistyped one fails loading, naming the variable.
 */
export function isGoogleContactsConfigured(env: Env = process.env): boolean {
  return !['', 'false', '0', 'no'].includes(env.GOOGLE_CONTACTS_HUB?.trim().toLowerCase() ?? '');
}

export function loadGoogleContactsConfig(env: Env = process.env): GoogleContactsConfig {
  const c = parseEnv(googleContactsSchema, env);
  return {
    apiUrl: c.GOOGLE_PEOPLE_API_URL.endsWith('/') ? c.GOOGLE_PEOPLE_API_URL : `${c.GOOGLE_PEOPLE_API_URL}/`,
    reads: { limit: c.GOOGLE_PEOPLE_READS_PER_MINUTE, windowMs: 60_000 },
    writes: { limit: c.GOOGLE_PEOPLE_WRITES_PER_MINUTE, windowMs: 60_000 },
  };
}
