import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GmailEmulator, startGmailEmulator } from '../../emulators/google/gmail/gmail-emulator.js';
import { runKith } from '../../support/cli.js';
import { loadMboxIntoGmail } from '../../support/gmail-mailbox.js';
import { cleanupRedis, redisUrl, uniquePrefix } from '../../support/test-env.js';

interface Report {
  status: string;
  interactions: number;
  steps: { id: string; status: string; error?: string; result?: { interactions: { inserted: number; duplicates: number } } }[];
}

const MBOX = resolve(import.meta.dirname, '../../../examples/exports/mbox/All mail Including Spam and Trash.mbox');

/**
 * `kith sync` with the Takeout mbox and the same mailbox through the Gmail API, on the gmail
 * source's own queue and worker: a refused token fails that source alone, saying what to do; once
 * it works, the API adds nothing the export already gave.
 */
describe('kith sync with a gmail source beside the mbox', () => {
  let dir = '';
  let prefix = '';
  let em: GmailEmulator;
  let env: Record<string, string> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kith-gmail-sync-'));
    em = await startGmailEmulator();
    loadMboxIntoGmail(em, MBOX);
    writeFileSync(join(dir, 'kith.config.yaml'), `self: { emails: [me@example.com] }\nsources:\n  - { type: mbox, path: ${JSON.stringify(MBOX)} }\n  - { type: gmail, base_url: "${em.url}" }\n`);
    prefix = uniquePrefix();
    env = { KITH_CONFIG: join(dir, 'kith.config.yaml'), KITH_DATA_DIR: join(dir, 'data'), REDIS_URL: redisUrl(), KITH_QUEUE_PREFIX: prefix };
  });
  afterAll(async () => {
    await em.close();
    await cleanupRedis(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a refused token fails the gmail step alone; with a good one the API adds nothing the mbox gave', async () => {
    const bad = await runKith(['sync', '--json'], { ...env, GOOGLE_ACCESS_TOKEN: 'revoked-token' }, 120_000);
    expect(bad.code).toBe(2);
    const partial = JSON.parse(bad.stdout.trim().split('\n').pop()!) as Report;
    const gmailStep = partial.steps.find((s) => s.id === 'collect:gmail')!;
    expect(gmailStep.status).toBe('failed');
    expect(gmailStep.error).toMatch(/kith auth google/);
    expect(gmailStep.error).not.toMatch(/revoked-token/);
    expect(partial.steps.find((s) => s.id === 'collect:mbox')!.status).toBe('succeeded');

    const good = await runKith(['sync', '--json'], { ...env, GOOGLE_ACCESS_TOKEN: em.token }, 120_000);
    expect(good.code).toBe(0);
    const done = JSON.parse(good.stdout.trim().split('\n').pop()!) as Report;
    const api = done.steps.find((s) => s.id === 'collect:gmail')!;
    expect(api.status).toBe('succeeded');
    expect(api.result!.interactions.inserted).toBe(0);
    expect(api.result!.interactions.duplicates).toBeGreaterThan(0);
    expect(done.interactions).toBe(partial.interactions);
  }, 260_000);
});
