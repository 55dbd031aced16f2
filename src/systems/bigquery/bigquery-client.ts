import { readFileSync } from 'node:fs';
import { BigQuery } from '@google-cloud/bigquery';
import { type AuthClient, GoogleAuth, OAuth2Client } from 'google-auth-library';
import type { BigQueryConfig, BigQueryCredentials } from '../../config/bigquery.config.js';
import { ConfigError } from '../../config/config-error.js';

const SCOPES = ['https://www.googleapis.com/auth/bigquery'];

/** The key files Kith accepts, each with the fields it must hold. */
const KEY_FILE_FIELDS = new Map([
  ['service_account', ['client_email', 'private_key']],
  ['authorized_user', ['client_id', 'client_secret', 'refresh_token']],
]);

/**
 * An explicit auth client from the configured credential. Passing one to the SDK is what keeps
 * it from probing the GCE metadata server (169.254.169.254) for default credentials.
 */
export function createAuthClient(credentials: BigQueryCredentials): AuthClient {
  if (credentials.kind === 'access_token') {
    const client = new OAuth2Client();
    // No expiry_date: the token is used as given and the server decides when it has expired.
    client.setCredentials({ access_token: credentials.accessToken });
    return client;
  }
  const { path, variable } = credentials;
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(variable, `file ${path} cannot be read as JSON (${(err as Error).message})`);
  }
  // Only the two kinds a person downloads: an external_account file would have the library
  // fetch tokens from URLs named in the file.
  const required = KEY_FILE_FIELDS.get(String(json.type));
  if (!required) throw new ConfigError(variable, `file ${path} has type '${String(json.type)}'; expected 'service_account' or 'authorized_user'`);
  for (const key of required) {
    if (typeof json[key] !== 'string' || !json[key]) throw new ConfigError(variable, `file ${path} has no '${key}'`);
  }
  // The library's own reading of the file (a JWT or a UserRefreshClient), without its search for
  // default credentials.
  return new GoogleAuth({ scopes: SCOPES }).fromJSON(json);
}

export interface BigQueryClientOptions {
  authClient?: AuthClient;
  /** Cap on the SDK's retry backoff (default: the SDK's 64 s); tests keep retries fast. */
  maxRetryDelayMs?: number;
}

/** The SDK client, always with an explicit endpoint, project and auth client. */
export function createBigQueryClient(config: BigQueryConfig, opts: BigQueryClientOptions = {}): BigQuery {
  if (process.env.BIGQUERY_EMULATOR_HOST) {
    // The SDK prefers this variable over apiEndpoint; refuse rather than talk to the wrong host.
    throw new ConfigError('BIGQUERY_EMULATOR_HOST', 'is set; unset it and use BIGQUERY_API_ENDPOINT');
  }
  const authClient = opts.authClient ?? createAuthClient(config.credentials);
  // Retries go through retryOptions: @google-cloud/common reads a top-level `maxRetries: 0` as
  // "unset" and retries 3 times; autoRetry:false is the only way to say "no retries".
  const retryOptions = {
    autoRetry: config.maxRetries > 0,
    maxRetries: config.maxRetries,
    ...(opts.maxRetryDelayMs === undefined ? {} : { maxRetryDelay: opts.maxRetryDelayMs / 1000 }),
  };
  return new BigQuery({ projectId: config.projectId, apiEndpoint: config.apiEndpoint, authClient, retryOptions });
}
