import { JWT, OAuth2Client } from 'google-auth-library';
import { AuthError } from '../../errors.js';
import { GOOGLE_TOKEN_URL, readGoogleAccount, type StoredGoogleAccount } from './google-account.js';

export type GoogleCredential =
  | { kind: 'access_token'; client: OAuth2Client; variable: 'GOOGLE_ACCESS_TOKEN' }
  | { kind: 'oauth' | 'service_account'; client: OAuth2Client | JWT; account: StoredGoogleAccount };

/** An OAuth2Client that refreshes with the stored refresh token (at the stored token URL, if any). */
export function oauthClient(account: Extract<StoredGoogleAccount, { kind: 'oauth' }>): OAuth2Client {
  const client = new OAuth2Client({ clientId: account.client_id, clientSecret: account.client_secret, endpoints: { oauth2TokenUrl: account.token_url ?? GOOGLE_TOKEN_URL } });
  client.setCredentials({ refresh_token: account.refresh_token });
  return client;
}

/** A service account acting for `subject` (Workspace domain-wide delegation). */
export function serviceAccountClient(account: Extract<StoredGoogleAccount, { kind: 'service_account' }>): JWT {
  const jwt = new JWT({ keyFile: account.key_file, subject: account.subject, scopes: account.scopes });
  return jwt;
}

/**
 * The credential a Google source uses: GOOGLE_ACCESS_TOKEN (a short-lived token, used as is),
 * else the account `kith auth google` stored in the data directory. Neither is an AuthError
 * saying what to do. Tokens never leave the client (no log line carries them).
 */
export function googleCredential(dataDir: string, env: NodeJS.ProcessEnv = process.env): GoogleCredential {
  const token = env.GOOGLE_ACCESS_TOKEN?.trim();
  if (token) {
    const client = new OAuth2Client();
    client.setCredentials({ access_token: token });
    return { kind: 'access_token', client, variable: 'GOOGLE_ACCESS_TOKEN' };
  }
  const account = readGoogleAccount(dataDir);
  if (!account) throw new AuthError('no Google account: run `kith auth google` (or set GOOGLE_ACCESS_TOKEN to a short-lived access token)', 'google_no_account');
  return account.kind === 'oauth' ? { kind: 'oauth', client: oauthClient(account), account } : { kind: 'service_account', client: serviceAccountClient(account), account };
}
