import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SlackEmulator, startSlackEmulator } from '../../emulators/slack/slack-emulator.js';
import { runKith } from '../../support/cli.js';
import { loadExportIntoSlack } from '../../support/slack-workspace.js';
import { cleanupRedis, redisUrl, uniquePrefix } from '../../support/test-env.js';

interface Report {
  status: string;
  interactions: number;
  steps: { id: string; status: string; error?: string; result?: { interactions: { inserted: number; duplicates: number } } }[];
}

const EXPORT = resolve(import.meta.dirname, '../../../examples/exports/slack-export');

/**
 * `kith sync` with the Slack export and the same workspace through the Web API, on the slack
 * source's own queue and worker: a revoked token fails that source alone, saying what to do; once
 * it works, the API adds nothing the export already gave.
 */
describe('kith sync with a slack source beside the slack export', () => {
  let dir = '';
  let prefix = '';
  let em: SlackEmulator;
  let env: Record<string, string> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kith-slack-sync-'));
    em = await startSlackEmulator({ windowMs: 1000, selfUser: 'U0SAM' });
    loadExportIntoSlack(em, EXPORT);
    writeFileSync(
      join(dir, 'kith.config.yaml'),
      `self: { emails: [me@example.com] }\nsources:\n  - { type: slack-export, path: ${JSON.stringify(EXPORT)} }\n  - { type: slack, base_url: "${em.url}", rate_window_ms: 1000 }\n`,
    );
    prefix = uniquePrefix();
    env = { KITH_CONFIG: join(dir, 'kith.config.yaml'), KITH_DATA_DIR: join(dir, 'data'), REDIS_URL: redisUrl(), KITH_QUEUE_PREFIX: prefix };
  });
  afterAll(async () => {
    await em.close();
    await cleanupRedis(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a revoked token fails the slack step alone; with a good one the API adds nothing the export gave', async () => {
    em.setToken('xoxp-revoked', ['users:read']);
    em.revoke('xoxp-revoked');
    const bad = await runKith(['sync', '--json'], { ...env, SLACK_TOKEN: 'xoxp-revoked' }, 120_000);
    expect(bad.code, bad.stderr).toBe(2);
    const partial = JSON.parse(bad.stdout.trim().split('\n').pop()!) as Report;
    const slackStep = partial.steps.find((s) => s.id === 'collect:slack')!;
    expect(slackStep.status).toBe('failed');
    expect(slackStep.error).toMatch(/token_revoked.*kith auth slack/);
    expect(slackStep.error).not.toMatch(/xoxp-revoked/);
    expect(partial.steps.find((s) => s.id === 'collect:slack-export')!.status).toBe('succeeded');

    const good = await runKith(['sync', '--json'], { ...env, SLACK_TOKEN: em.token }, 120_000);
    expect(good.code, good.stderr).toBe(0);
    const done = JSON.parse(good.stdout.trim().split('\n').pop()!) as Report;
    const api = done.steps.find((s) => s.id === 'collect:slack')!;
    expect(api.status).toBe('succeeded');
    expect(api.result!.interactions.inserted).toBe(0);
    expect(api.result!.interactions.duplicates).toBeGreaterThan(0);
    expect(done.interactions).toBe(partial.interactions);
  }, 260_000);
});
