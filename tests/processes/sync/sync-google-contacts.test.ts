import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PeopleEmulator, startPeopleEmulator } from '../../emulators/google/people/people-emulator.js';
import { runKith } from '../../support/cli.js';
import { loadContactsCsvIntoPeople } from '../../support/google-contacts-book.js';
import { cleanupRedis, redisUrl, uniquePrefix } from '../../support/test-env.js';

interface Report {
  status: string;
  people: number;
  steps: { id: string; status: string; error?: string; result?: { contacts: number } }[];
}

const CSV = resolve(import.meta.dirname, '../../../examples/exports/google-contacts-csv/contacts.csv');

/**
 * `kith sync` with the Google Contacts CSV and the same address book through the People API, on
 * the google-contacts source's own queue and worker: a refused token fails that source alone,
 * saying what to do; once it works, the API adds no person the export already gave.
 */
describe('kith sync with a google-contacts source beside the CSV export', () => {
  let dir = '';
  let prefix = '';
  let em: PeopleEmulator;
  let env: Record<string, string> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kith-people-sync-'));
    em = await startPeopleEmulator();
    await loadContactsCsvIntoPeople(em, CSV);
    writeFileSync(join(dir, 'kith.config.yaml'), `self: { emails: [me@example.com] }\nsources:\n  - { type: google-contacts-csv, path: ${JSON.stringify(CSV)} }\n  - { type: google-contacts, base_url: "${em.url}", page_size: 4 }\n`);
    prefix = uniquePrefix();
    env = { KITH_CONFIG: join(dir, 'kith.config.yaml'), KITH_DATA_DIR: join(dir, 'data'), REDIS_URL: redisUrl(), KITH_QUEUE_PREFIX: prefix };
  });
  afterAll(async () => {
    await em.close();
    await cleanupRedis(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a refused token fails the google-contacts step alone; with a good one the API adds no person the CSV gave', async () => {
    const bad = await runKith(['sync', '--json'], { ...env, GOOGLE_ACCESS_TOKEN: 'revoked-token' }, 120_000);
    expect(bad.code, bad.stdout + bad.stderr).toBe(2);
    const partial = JSON.parse(bad.stdout.trim().split('\n').pop()!) as Report;
    const step = partial.steps.find((s) => s.id === 'collect:google-contacts')!;
    expect(step.status).toBe('failed');
    expect(step.error).toMatch(/kith auth google/);
    expect(step.error).not.toMatch(/revoked-token/);
    expect(partial.steps.find((s) => s.id === 'collect:google-contacts-csv')!.status).toBe('succeeded');

    const good = await runKith(['sync', '--json'], { ...env, GOOGLE_ACCESS_TOKEN: em.token }, 120_000);
    expect(good.code, good.stderr).toBe(0);
    const done = JSON.parse(good.stdout.trim().split('\n').pop()!) as Report;
    expect(done.steps.find((s) => s.id === 'collect:google-contacts')).toMatchObject({ status: 'succeeded', result: { contacts: 6 } });
    expect(done.people).toBe(partial.people);
  }, 260_000);
});
