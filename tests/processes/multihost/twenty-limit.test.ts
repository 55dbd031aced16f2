import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueFanout } from '../../../src/hub/services/propagation.service.js';
import { type HubEnv, seedContact, startHubEnv, until } from '../../support/hub/hub-kit.js';
import { busiestWindow, type HostWorker, startAll, startWorker } from './hosts.js';

const LIMIT = 8;
const WINDOW_MS = 2000;
const N = 15;

/**
 * Twenty's request budget is the deployment's, not each process's: three worker processes (each
 * with its own data directory, as on three hosts) push contacts to the Twenty emulator at once,
 * and the requests it receives stay within the budget in every window.
 */
describe("Twenty's request limit across worker processes", () => {
  const root = mkdtempSync(join(tmpdir(), 'kith-twenty-limit-'));
  let h: HubEnv;
  const workers: HostWorker[] = [];
  beforeAll(async () => {
    // A budget of LIMIT requests per WINDOW_MS: the real one (100 a minute) scaled down to keep the test short.
    h = await startHubEnv({ engine: 'postgres', workers: 0, extraEnv: { TWENTY_RATE_LIMIT_PER_MINUTE: String(LIMIT), TWENTY_RATE_LIMIT_WINDOW_MS: String(WINDOW_MS) } });
    const queues = 'contacts-fanout,contacts-to-twenty,contacts-to-supabase';
    // Two jobs at a time each, so all three processes take a share of the pushes.
    await startAll(
      workers,
      ['host-a', 'host-b', 'host-c'].map((host) => startWorker(host, ['--queues', queues], { ...h.env, KITH_DATA_DIR: join(root, host), KITH_WORKER_CONCURRENCY: '2' })),
    );
  }, 60_000);
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await h?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it(`no window of ${WINDOW_MS} ms holds more than ${LIMIT} requests from the three processes together`, async () => {
    const contacts = Array.from({ length: N }, (_, i) => seedContact(i));
    for (const c of contacts) await h.hub.systems.canonical.put(c, 0);
    const start = Date.now();
    for (const c of contacts) await enqueueFanout(h.hub, [{ contactId: c.contact_id, version: 1 }]);
    await until(async () => h.twenty.people().length === N && true, `all ${N} contacts to reach Twenty`, 60_000);
    await h.settle(30_000);
    const elapsed = Date.now() - start;

    const times = h.twenty.requests.map((r) => r.at);
    const busiest = busiestWindow(times, WINDOW_MS);
    console.log(`Twenty limiter: ${times.length} requests from 3 processes in ${(elapsed / 1000).toFixed(1)} s; busiest ${WINDOW_MS} ms window: ${busiest} (limit ${LIMIT})`);
    expect(busiest).toBeLessThanOrEqual(LIMIT);
    // Enough traffic that the limit was what held it back: more than two windows' worth.
    expect(times.length).toBeGreaterThan(2 * LIMIT);
    expect(elapsed).toBeGreaterThanOrEqual(Math.floor(times.length / LIMIT - 1) * WINDOW_MS);
    expect(h.twenty.stats.rateLimited).toBe(0);
    // Every process pushed some of it.
    const takenBy = new Set((await h.queue('contacts-to-twenty').getJobs(['completed'])).map((j) => j.processedBy));
    expect(takenBy).toEqual(new Set(workers.map((w) => expect.stringMatching(new RegExp(`/${w.pid}$`)))));
    expect(takenBy.size).toBe(3);
  }, 90_000);
});
