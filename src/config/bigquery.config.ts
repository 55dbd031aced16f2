import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './config-error.js';
import { isLoopbackHost } from './http.config.js';
import { type Env, parseEnv } from './parse-env.js';

/**
 * BigQuery as the canonical contact store. Unset BIGQUERY_PROJECT_ID means "not
 * configured": the local database is canonical. When set:
 * - BIGQUERY_API_ENDPOINT defaults to Google (https://bigquery.googleapis.com); it must be set
 *   explicitly for anything else (an emulator). Plain http:// is accepted for loopback only.
 *   BIGQUERY_EMULATOR_HOST is refused: the SDK would let it silently override the endpoint.
 * - Credentials, first match wins: BIGQUERY_ACCESS_TOKEN (used as is through an OAuth2Client),
 *   BIGQUERY_KEY_FILE, GOOGLE_APPLICATION_CREDENTIALS (a service-account or authorized-user JSON
 *   file). There is no fallback to the metadata server: no credential is a ConfigError.
 */
export const bigQuerySchema = z.object({
  BIGQUERY_PROJECT_ID: z
    .string()
    .regex(/^[a-z][a-z0-9-:.]{4,61}[a-z0-9]$/, 'must be a Google Cloud project id (6–63 lowercase letters, digits, hyphens)')
    .optional(),
  BIGQUERY_DATASET: z.string().regex(/^[A-Za-z0-9_]{1,1024}$/, 'must contain only letters, digits and underscores').default('kith'),
  BIGQUERY_API_ENDPOINT: z
    .string()
    .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an http(s) URL such as https://bigquery.googleapis.com')
    .optional(),
  BIGQUERY_ACCESS_TOKEN: z.string().optional(),
  BIGQUERY_KEY_FILE: z.string().optional(),
  GOOGLE_APPLICATION_CREDENTIALS: z.string().optional(),
  BIGQUERY_MAX_RETRIES: z.coerce.number().int('must be a whole number').min(0, 'must be ≥ 0').max(10, 'must be ≤ 10').default(2),
  BIGQUERY_EMULATOR_HOST: z.string().optional(),
});

export const GOOGLE_BIGQUERY_ENDPOINT = 'https://bigquery.googleapis.com';

export type BigQueryCredentials =
  | { kind: 'access_token'; accessToken: string; variable: 'BIGQUERY_ACCESS_TOKEN' }
  | { kind: 'key_file'; path: string; variable: 'BIGQUERY_KEY_FILE' | 'GOOGLE_APPLICATION_CREDENTIALS' };

export interface BigQueryConfig {
  projectId: string;
  datasetId: string;
  apiEndpoint: string;
  credentials: BigQueryCredentials;
  maxRetries: number;
}

const SECRETS = ['BIGQUERY_ACCESS_TOKEN'];

/** The BigQuery settings, or undefined when BIGQUERY_PROJECT_ID is not set (BigQuery not in use). */
export function loadBigQueryConfig(env: Env = process.env): BigQueryConfig | undefined {
  const c = parseEnv(bigQuerySchema, env, SECRETS);
  if (!c.BIGQUERY_PROJECT_ID) return undefined;
  return build(c.BIGQUERY_PROJECT_ID, c);
}

/** Like loadBigQueryConfig, for code paths that cannot run without BigQuery. */
export function requireBigQueryConfig(env: Env = process.env): BigQueryConfig {
  const config = loadBigQueryConfig(env);
  if (!config) throw new ConfigError('BIGQUERY_PROJECT_ID', 'is not set (it names the Google Cloud project that holds the canonical contacts)');
  return config;
}

function build(projectId: string, c: z.infer<typeof bigQuerySchema>): BigQueryConfig {
  if (c.BIGQUERY_EMULATOR_HOST) {
    throw new ConfigError('BIGQUERY_EMULATOR_HOST', 'is not supported: the SDK would use it instead of BIGQUERY_API_ENDPOINT; unset it and set BIGQUERY_API_ENDPOINT to the emulator URL');
  }
  const apiEndpoint = (c.BIGQUERY_API_ENDPOINT ?? GOOGLE_BIGQUERY_ENDPOINT).replace(/\/+$/, '');
  const url = new URL(apiEndpoint);
  if (url.pathname !== '/' && url.pathname !== '') {
    throw new ConfigError('BIGQUERY_API_ENDPOINT', `must be an origin without a path (the SDK appends /bigquery/v2) (got '${apiEndpoint}')`);
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new ConfigError('BIGQUERY_API_ENDPOINT', `uses plain http to ${url.hostname}, which would send the credential unencrypted; use https or a loopback emulator`);
  }
  return { projectId, datasetId: c.BIGQUERY_DATASET, apiEndpoint, credentials: credentials(c), maxRetries: c.BIGQUERY_MAX_RETRIES };
}

function credentials(c: z.infer<typeof bigQuerySchema>): BigQueryCredentials {
  if (c.BIGQUERY_ACCESS_TOKEN) return { kind: 'access_token', accessToken: c.BIGQUERY_ACCESS_TOKEN, variable: 'BIGQUERY_ACCESS_TOKEN' };
  const variable = c.BIGQUERY_KEY_FILE ? 'BIGQUERY_KEY_FILE' : c.GOOGLE_APPLICATION_CREDENTIALS ? 'GOOGLE_APPLICATION_CREDENTIALS' : undefined;
  if (!variable) {
    throw new ConfigError(
      'BIGQUERY_ACCESS_TOKEN',
      'no BigQuery credential is set: set BIGQUERY_ACCESS_TOKEN, or BIGQUERY_KEY_FILE / GOOGLE_APPLICATION_CREDENTIALS to a service-account JSON file (Kith never asks the metadata server)',
    );
  }
  const path = resolve((variable === 'BIGQUERY_KEY_FILE' ? c.BIGQUERY_KEY_FILE : c.GOOGLE_APPLICATION_CREDENTIALS)!);
  if (!existsSync(path)) throw new ConfigError(variable, `file ${path} does not exist`);
  return { kind: 'key_file', path, variable };
}
