import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SlackEmulator, startSlackEmulator } from '../../emulators/slack/slack-emulator.js';
import { spawn } from 'node:child_process';
import { cliEnv, KITH_BIN, runKith } from '../../support/cli.js';

/** `kith …` given `input` on standard input (runKith gives none). */
function runKithWithInput(args: string[], env: Record<string, string>, input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KITH_BIN, ...args], { env: cliEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`kith ${args.join(' ')} did not finish\n${stderr}`))), 60_000);
    child.on('exit', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
    child.stdin.end(input);
  });
}

interface Status {
  accounts: { provider: string; kind: string; account: string; scopes: string[]; works: boolean; problem?: string }[];
}

describe('kith auth slack', () => {
  let dir = '';
  let em: SlackEmulator;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kith-auth-slack-'));
    em = await startSlackEmulator({ selfUser: 'U0SAM' });
    em.addUser({ id: 'U0SAM', name: 'sam', profile: { email: 'me@example.com' } });
  });
  afterEach(async () => {
    await em.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores the token SLACK_TOKEN gives after auth.test (mode 0600), and auth status shows whether it still works, never printing it', async () => {
    const stored = await runKith(['auth', 'slack', '--base-url', em.url], { KITH_DATA_DIR: dir, SLACK_TOKEN: em.token }, 30_000);
    expect(stored.stderr).toBe('');
    expect(stored.code).toBe(0);
    expect(stored.stdout).toMatch(/sam in Example stored in .*slack-account\.json \(mode 0600\); scopes: .*channels:history/);
    const file = join(dir, 'slack-account.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ token: em.token, team_id: 'T0EXAMPLE', user_id: 'U0SAM', api_url: em.url });

    const ok = await runKith(['auth', 'status', '--json'], { KITH_DATA_DIR: dir }, 30_000);
    expect(ok.code).toBe(0);
    const works = JSON.parse(ok.stdout.trim().split('\n').pop()!) as Status;
    expect(works.accounts).toEqual([expect.objectContaining({ provider: 'slack', account: 'sam @ Example', works: true, scopes: expect.arrayContaining(['users:read', 'im:history']) })]);

    em.revoke(em.token);
    const bad = await runKith(['auth', 'status', '--json'], { KITH_DATA_DIR: dir }, 30_000);
    const broken = JSON.parse(bad.stdout.trim().split('\n').pop()!) as Status;
    expect(broken.accounts[0]).toMatchObject({ provider: 'slack', works: false });
    expect(broken.accounts[0]!.problem).toMatch(/token_revoked.*kith auth slack/);
    for (const r of [stored, ok, bad]) expect(r.stdout + r.stderr).not.toContain(em.token);
  }, 120_000);

  it('reads the token from standard input when SLACK_TOKEN is not set', async () => {
    const r = await runKithWithInput(['auth', 'slack', '--base-url', em.url], { KITH_DATA_DIR: dir }, `${em.token}\n`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'slack-account.json'), 'utf8'))).toMatchObject({ token: em.token, user_id: 'U0SAM' });
    expect(r.stdout).not.toContain(em.token);
  }, 60_000);

  it('refuses a token Slack does not accept, saying so, and stores nothing', async () => {
    const r = await runKith(['auth', 'slack', '--base-url', em.url], { KITH_DATA_DIR: dir, SLACK_TOKEN: 'xoxp-not-a-token' }, 30_000);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/invalid_auth.*kith auth slack/);
    expect(r.stderr).not.toContain('xoxp-not-a-token');
    expect(() => statSync(join(dir, 'slack-account.json'))).toThrow();
  }, 60_000);
});
