import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DriveEmulator, startDriveEmulator } from '../../emulators/google/drive/drive-emulator.js';
import { runKith } from '../../support/cli.js';
import { cleanupRedis, redisUrl, uniquePrefix } from '../../support/test-env.js';

interface Report {
  status: string;
  interactions: number;
  steps: { id: string; status: string; error?: string; result?: Record<string, unknown> }[];
}

/**
 * `kith sync` with a vault and a google-drive source writing into it, on the content step's
 * queue and worker: a refused token fails the Drive step alone, saying what to do; with a good
 * one the documents land in the vault folder, and the vault's next read links the people they
 * mention.
 */
describe('kith sync with a google-drive source writing into the vault', () => {
  let dir = '';
  let prefix = '';
  let em: DriveEmulator;
  let env: Record<string, string> = {};
  const last = (out: string) => JSON.parse(out.trim().split('\n').pop()!) as Report;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kith-drive-sync-'));
    mkdirSync(join(dir, 'vault'));
    writeFileSync(join(dir, 'vault', 'Welcome.md'), '# Welcome\n');
    em = await startDriveEmulator();
    const folder = em.add({ name: 'Projects', kind: 'folder' });
    em.add({ name: 'Launch plan', kind: 'doc', parent: folder, content: 'Owner: [Grace Hopper](mailto:grace@example.com)' });
    writeFileSync(join(dir, 'kith.config.yaml'), `self: { emails: [me@example.com] }\nsources:\n  - { type: vault, path: vault }\n  - { type: google-drive, id: drive, base_url: "${em.url}", into: vault/Drive }\n`);
    prefix = uniquePrefix();
    env = { KITH_CONFIG: join(dir, 'kith.config.yaml'), KITH_DATA_DIR: join(dir, 'data'), REDIS_URL: redisUrl(), KITH_QUEUE_PREFIX: prefix };
  });
  afterAll(async () => {
    await em.close();
    await cleanupRedis(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a refused token fails the Drive step alone; with a good one its documents reach the vault and their people are linked', async () => {
    const bad = await runKith(['sync', '--json'], { ...env, GOOGLE_ACCESS_TOKEN: 'revoked-token' }, 120_000);
    expect(bad.code, bad.stderr).toBe(2);
    const partial = last(bad.stdout);
    const driveStep = partial.steps.find((s) => s.id === 'content:drive')!;
    expect(driveStep.status).toBe('failed');
    expect(driveStep.error).toMatch(/kith auth google/);
    expect(driveStep.error).not.toMatch(/revoked-token/);
    expect(partial.steps.find((s) => s.id === 'collect:vault')!.status).toBe('succeeded');

    const good = await runKith(['sync', '--json'], { ...env, GOOGLE_ACCESS_TOKEN: em.token }, 120_000);
    expect(good.code, good.stderr).toBe(0);
    expect(last(good.stdout).steps.find((s) => s.id === 'content:drive')).toMatchObject({ status: 'succeeded', result: { written: 1, mode: 'full' } });
    const written = join(dir, 'vault', 'Drive', 'Projects', 'Launch plan.md');
    expect(existsSync(written)).toBe(true);
    expect(readFileSync(written, 'utf8')).toContain('Grace Hopper <grace@example.com>');

    const next = await runKith(['sync', '--json'], { ...env, GOOGLE_ACCESS_TOKEN: em.token }, 120_000);
    expect(next.code, next.stderr).toBe(0);
    const report = last(next.stdout);
    expect(report.steps.find((s) => s.id === 'content:drive')).toMatchObject({ status: 'succeeded', result: { written: 0, mode: 'changes' } });
    const people = await runKith(['people', 'list', '--json', '--search', 'grace@example.com'], env, 60_000);
    const grace = JSON.parse(people.stdout) as { counts: Record<string, number> }[];
    expect(grace).toHaveLength(1);
    expect(Object.values(grace[0]!.counts).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  }, 400_000);
});
