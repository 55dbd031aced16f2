import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GOOGLE_READ_SCOPES, googleAccountFile, readGoogleAccount, writeGoogleAccount } from '../../../src/systems/google/google-account.js';
import { oauthClient } from '../../../src/systems/google/google-auth.js';
import { runInstalledAppFlow } from '../../../src/systems/google/google-oauth-flow.js';

/** A loopback OAuth token endpoint: the authorization code grant (with PKCE) and refreshes. */
async function startTokenEndpoint() {
  const grants: Record<string, string>[] = [];
  let revoked = false;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const p = Object.fromEntries(new URLSearchParams(body));
      grants.push(p);
      res.setHeader('content-type', 'application/json');
      if (p.grant_type === 'authorization_code' && p.code === 'the-code' && p.code_verifier) {
        return res.end(JSON.stringify({ access_token: 'at-1', refresh_token: 'rt-1', expires_in: 3600, scope: GOOGLE_READ_SCOPES.join(' '), token_type: 'Bearer' }));
      }
      if (p.grant_type === 'refresh_token' && p.refresh_token === 'rt-1' && !revoked) return res.end(JSON.stringify({ access_token: 'at-2', expires_in: 3600, token_type: 'Bearer' }));
      res.statusCode = 400;
      res.end(JSON.stringify({ error: 'invalid_grant', error_description: 'Token has been expired or revoked.' }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`,
    grants,
    revoke: () => (revoked = true),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('kith auth google: the installed-app flow with a loopback redirect', () => {
  let dir: string;
  let tokens: Awaited<ReturnType<typeof startTokenEndpoint>>;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kith-auth-'));
    tokens = await startTokenEndpoint();
  });
  afterEach(async () => {
    await tokens.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('receives the code on 127.0.0.1, stores the refresh token with mode 0600, and the stored account refreshes', async () => {
    const got = await runInstalledAppFlow({
      clientId: 'cid',
      clientSecret: 'secret',
      scopes: GOOGLE_READ_SCOPES,
      authUrl: 'http://127.0.0.1:9/auth',
      tokenUrl: tokens.url,
      onUrl: (url) => {
        const u = new URL(url);
        expect(u.searchParams.get('access_type')).toBe('offline');
        expect(u.searchParams.get('scope')).toBe(GOOGLE_READ_SCOPES.join(' '));
        const redirect = new URL(u.searchParams.get('redirect_uri')!);
        expect(redirect.hostname).toBe('127.0.0.1');
        // The browser follows the consent page's redirect.
        void fetch(`${redirect.href}?code=the-code&state=${u.searchParams.get('state')}`);
      },
    });
    expect(got.refreshToken).toBe('rt-1');
    expect(tokens.grants[0]).toMatchObject({ grant_type: 'authorization_code', client_id: 'cid' });

    writeGoogleAccount(dir, { kind: 'oauth', client_id: 'cid', client_secret: 'secret', refresh_token: got.refreshToken, scopes: got.scopes, token_url: tokens.url });
    expect(statSync(googleAccountFile(dir)).mode & 0o777).toBe(0o600);
    const account = readGoogleAccount(dir)!;
    expect(account.kind).toBe('oauth');
    const client = oauthClient(account as Extract<typeof account, { kind: 'oauth' }>);
    expect((await client.getAccessToken()).token).toBe('at-2');

    tokens.revoke();
    const again = oauthClient(account as Extract<typeof account, { kind: 'oauth' }>);
    await expect(again.getAccessToken()).rejects.toThrow(/invalid_grant/);
  });

  it('refuses an answer whose state does not match', async () => {
    const flow = runInstalledAppFlow({
      clientId: 'cid',
      clientSecret: 'secret',
      scopes: GOOGLE_READ_SCOPES,
      tokenUrl: tokens.url,
      timeoutMs: 2000,
      onUrl: (url) => {
        const redirect = new URL(new URL(url).searchParams.get('redirect_uri')!);
        void fetch(`${redirect.href}?code=the-code&state=forged`).then(async (r) => {
          expect(r.status).toBe(400);
          await fetch(`${redirect.href}?error=access_denied`);
        });
      },
    });
    await expect(flow).rejects.toThrow(/access_denied/);
    expect(tokens.grants).toEqual([]);
  });
});
