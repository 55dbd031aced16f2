import { afterEach, describe, expect, it } from 'vitest';
import { openHub } from '../../../src/app/open-hub.js';
import type { Hub } from '../../../src/hub/hub-context.js';
import { runTargetJob } from '../../../src/hub/services/target-job.service.js';
import { startSupabaseEmulator, type SupabaseEmulator } from '../../emulators/supabase/supabase-emulator.js';
import { seedContact, startAlertSink } from '../../support/hub/hub-kit.js';
import { cleanupRedis, freshDb, postgresUrl, redisUrl, testLog, uniquePrefix } from '../../support/test-env.js';

const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

const REMIND_MS = 15 * 60_000;

/**
 * Two hubs on one Redis, as two hub worker processes of one deployment, pushing to a Supabase
 * that fails; alerts go to a loopback sink as they would to KITH_ALERT_WEBHOOK_URL. The clock
 * both hubs read is the test's.
 */
async function setup() {
  const prefix = uniquePrefix();
  const db = await freshDb('sqlite');
  stops.push(() => db.dispose());
  stops.push(() => cleanupRedis(prefix));
  const emu: SupabaseEmulator = await startSupabaseEmulator({ postgresUrl: postgresUrl() });
  stops.push(() => emu.stop());
  const sink = await startAlertSink();
  stops.push(() => sink.stop());
  const env = { SUPABASE_URL: emu.url, SUPABASE_KEY: emu.key, KITH_ALERT_WEBHOOK_URL: sink.url };
  const clock = { now: Date.now() };
  const hubs: Hub[] = [];
  for (let i = 0; i < 2; i++) {
    const hub = await openHub({ db: db.db, redisUrl: redisUrl(), prefix, log: testLog, env, clock: () => clock.now });
    stops.push(() => hub.close());
    hubs.push(hub);
  }
  const contact = seedContact(1);
  await hubs[0]!.systems.canonical.put(contact, 0);
  const item = { contactId: contact.contact_id, version: contact.sync_metadata.version };
  let n = 0;
  /** One target job's attempt on hub `i % 2`: whether it succeeded. */
  const push = async (): Promise<boolean> => {
    const i = n++;
    return runTargetJob(hubs[i % 2]!, 'supabase', { items: [item] }, { jobId: `job-${i}`, last: false }).then(
      () => true,
      () => false,
    );
  };
  const failing = (times: number) => emu.injectFault({ path: '/rest/v1/', status: 500, times });
  const pushFailures = () => sink.alerts.filter((a) => a.kind === 'sync_failure' && a.subject === 'push:supabase');
  return { emu, sink, clock, push, failing, pushFailures };
}

describe('alerts of a failing target, de-duplicated across the deployment', () => {
  it('500 failed pushes in a few seconds on two processes send one alert, then one recovery with the count', async () => {
    const { emu, push, failing, pushFailures } = await setup();
    failing(500);
    const started = Date.now();
    for (let i = 0; i < 500; i++) expect(await push()).toBe(false);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(emu.requests.filter((r) => r.status === 500)).toHaveLength(500);

    expect(pushFailures()).toHaveLength(1);
    expect(pushFailures()[0]).toMatchObject({ source: 'kith', state: 'raised', repeats: 5, text: expect.stringMatching(/^Kith alert sync_failure \(push:supabase\): writing 1 contact\(s\) to supabase failed: .*HTTP 500/) });

    expect(await push()).toBe(true);
    expect(await push()).toBe(true);
    expect(pushFailures()).toHaveLength(2);
    expect(pushFailures()[1]).toMatchObject({ state: 'recovered', repeats: 500, text: expect.stringMatching(/^Kith recovered sync_failure \(push:supabase\): push:supabase is back to normal after 500 failure\(s\) since /) });
  });

  it('a failure that lasts past the reminder interval is sent again as a reminder carrying how many repeats it stands for', async () => {
    const { clock, push, failing, pushFailures } = await setup();
    failing(13);
    for (let i = 0; i < 10; i++) await push();
    expect(pushFailures().map((a) => [a.state, a.repeats])).toEqual([['raised', 5]]);

    clock.now += REMIND_MS - 1_000;
    await push();
    expect(pushFailures()).toHaveLength(1);
    clock.now += 1_000;
    await push();
    // Failures 6–10, the one a second before the interval, and this one.
    expect(pushFailures().map((a) => [a.state, a.repeats])).toEqual([['raised', 5], ['reminder', 7]]);
    expect(pushFailures()[1]!.text).toMatch(/still so: 7 time\(s\) since the alert at .*reminded every 15 min/);
    await push();
    expect(pushFailures()).toHaveLength(2);

    expect(await push()).toBe(true);
    expect(pushFailures().map((a) => [a.state, a.repeats])).toEqual([['raised', 5], ['reminder', 7], ['recovered', 13]]);
  });

  it('transient failures that stop before the fifth send nothing, not even a recovery', async () => {
    const { push, failing, sink } = await setup();
    failing(4);
    for (let i = 0; i < 4; i++) expect(await push()).toBe(false);
    expect(await push()).toBe(true);
    expect(sink.alerts).toEqual([]);
  });
});
