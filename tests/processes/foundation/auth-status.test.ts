import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeGoogleAccount } from '../../../src/systems/google/google-account.js';
import { runKith } from '../../support/cli.js';

describe('kith auth status', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kith-auth-status-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('says there is no account, then shows a stored one whose token no longer works, never printing a token', async () => {
    const none = await runKith(['auth', 'status'], { KITH_DATA_DIR: dir }, 30_000);
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/no account: run `kith auth google`/);

    // A refresh token the (loopback, closed) token endpoint cannot honour.
    writeGoogleAccount(dir, { kind: 'oauth', email: 'me@example.com', client_id: 'cid', client_secret: 'the-secret', refresh_token: 'the-refresh-token', scopes: ['https://www.googleapis.com/auth/gmail.readonly'], token_url: 'http://127.0.0.1:9/token' });
    const r = await runKith(['auth', 'status', '--json'], { KITH_DATA_DIR: dir }, 30_000);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { accounts: { provider: string; account: string; scopes: string[]; works: boolean; problem?: string }[] };
    expect(out.accounts).toHaveLength(1);
    expect(out.accounts[0]).toMatchObject({ provider: 'google', account: 'me@example.com', scopes: ['https://www.googleapis.com/auth/gmail.readonly'], works: false });
    expect(out.accounts[0]!.problem).toMatch(/kith auth google/);
    expect(r.stdout + r.stderr).not.toMatch(/the-refresh-token|the-secret/);
  });
});
