import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OAuth2Client } from 'google-auth-library';
import { AuthError } from '../../errors.js';
import { GOOGLE_AUTH_URL, GOOGLE_TOKEN_URL } from './google-account.js';

export interface InstalledAppFlowOptions {
  clientId: string;
  clientSecret: string;
  scopes: readonly string[];
  /** Google's unless given (a proxy, or a loopback emulator in tests). */
  authUrl?: string;
  tokenUrl?: string;
  /** Shown the consent URL to open in a browser. */
  onUrl(url: string): void;
  timeoutMs?: number;
}

/**
 * OAuth for an installed app with a loopback redirect: a one-request server on 127.0.0.1 (any
 * free port) receives the code Google's consent page redirects to, the code is exchanged (with
 * PKCE) at the token endpoint, and the refresh token is returned. The state parameter must match.
 */
export async function runInstalledAppFlow(o: InstalledAppFlowOptions): Promise<{ refreshToken: string; scopes: string[] }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const client = new OAuth2Client({
    clientId: o.clientId,
    clientSecret: o.clientSecret,
    redirectUri,
    endpoints: { oauth2TokenUrl: o.tokenUrl ?? GOOGLE_TOKEN_URL, oauth2AuthBaseUrl: o.authUrl ?? GOOGLE_AUTH_URL },
  });
  const state = randomBytes(16).toString('hex');
  const { codeVerifier, codeChallenge } = await client.generateCodeVerifierAsync();
  try {
    const code = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new AuthError('no answer from the consent page in time; run `kith auth google` again', 'google_auth_timeout')), o.timeoutMs ?? 300_000);
      server.on('request', (req, res) => {
        const url = new URL(req.url ?? '/', redirectUri);
        const got = url.searchParams.get('code');
        const ok = got && url.searchParams.get('state') === state;
        res.writeHead(ok ? 200 : 400, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(ok ? 'Kith is authorised: you can close this tab.' : `Kith was not authorised (${url.searchParams.get('error') ?? 'wrong or missing state'}).`);
        if (url.searchParams.get('error')) {
          clearTimeout(timer);
          reject(new AuthError(`Google consent refused: ${url.searchParams.get('error')}`, 'google_consent_refused'));
        } else if (ok) {
          clearTimeout(timer);
          resolve(got);
        }
      });
    });
    o.onUrl(client.generateAuthUrl({ access_type: 'offline', prompt: 'consent', scope: [...o.scopes], state, code_challenge: codeChallenge!, code_challenge_method: 'S256' as never }));
    const { tokens } = await client.getToken({ code: await code, codeVerifier });
    if (!tokens.refresh_token) throw new AuthError('Google answered without a refresh token; revoke Kith at https://myaccount.google.com/permissions and run `kith auth google` again', 'google_no_refresh_token');
    return { refreshToken: tokens.refresh_token, scopes: tokens.scope ? tokens.scope.split(' ') : [...o.scopes] };
  } finally {
    server.closeAllConnections();
    server.close();
  }
}
