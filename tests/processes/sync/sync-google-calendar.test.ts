import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CalendarEmulator, startCalendarEmulator } from '../../emulators/google/calendar/calendar-emulator.js';
import { loadExampleCalendar } from '../../support/calendar-fixture.js';
import { runKith } from '../../support/cli.js';
import { cleanupRedis, redisUrl, uniquePrefix } from '../../support/test-env.js';

interface Report {
  status: string;
  interactions: number;
  steps: { id: string; status: string; error?: string; result?: { interactions: { inserted: number; duplicates: number } } }[];
}

const ICS = resolve(import.meta.dirname, '../../../examples/exports/ics/me@example.com.ics');

/**
 * `kith sync` with the .ics export and the same calendar through the Calendar API, on the
 * google-calendar source's own queue and worker: a refused token fails that source alone, saying
 * what to do; once it works, the API adds nothing the export already gave.
 */
describe('kith sync with a google-calendar source beside the .ics export', () => {
  let dir = '';
  let prefix = '';
  let em: CalendarEmulator;
  let env: Record<string, string> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kith-calendar-sync-'));
    em = await startCalendarEmulator();
    loadExampleCalendar(em);
    writeFileSync(join(dir, 'kith.config.yaml'), `self: { emails: [me@example.com] }\nsources:\n  - { type: ics, path: ${JSON.stringify(ICS)} }\n  - { type: google-calendar, base_url: "${em.url}" }\n`);
    prefix = uniquePrefix();
    env = { KITH_CONFIG: join(dir, 'kith.config.yaml'), KITH_DATA_DIR: join(dir, 'data'), REDIS_URL: redisUrl(), KITH_QUEUE_PREFIX: prefix };
  });
  afterAll(async () => {
    await em.close();
    await cleanupRedis(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a refused token fails the google-calendar step alone; with a good one the API adds nothing the export gave', async () => {
    const bad = await runKith(['sync', '--json'], { ...env, GOOGLE_ACCESS_TOKEN: 'revoked-token' }, 120_000);
    expect(bad.code, 'STDOUT ' + bad.stdout.slice(-3000) + ' STDERR ' + bad.stderr.slice(-6000)).toBe(2);
    const partial = JSON.parse(bad.stdout.trim().split('\n').pop()!) as Report;
    const step = partial.steps.find((s) => s.id === 'collect:google-calendar')!;
    expect(step.status).toBe('failed');
    expect(step.error).toMatch(/kith auth google/);
    expect(step.error).not.toMatch(/revoked-token/);
    expect(partial.steps.find((s) => s.id === 'collect:ics')!.status).toBe('succeeded');

    const good = await runKith(['sync', '--json'], { ...env, GOOGLE_ACCESS_TOKEN: em.token }, 120_000);
    expect(good.code).toBe(0);
    const done = JSON.parse(good.stdout.trim().split('\n').pop()!) as Report;
    const api = done.steps.find((s) => s.id === 'collect:google-calendar')!;
    expect(api.status).toBe('succeeded');
    expect(api.result!.interactions.inserted).toBe(0);
    expect(api.result!.interactions.duplicates).toBe(14);
    expect(done.interactions).toBe(partial.interactions);
  }, 260_000);
});
