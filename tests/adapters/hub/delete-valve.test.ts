import { afterEach, describe, expect, it } from 'vitest';
import { openHub } from '../../../src/app/open-hub.js';
import { runTargetJob } from '../../../src/hub/services/target-job.service.js';
import { DELETE_FLOOR, DELETE_WINDOW_MS } from '../../../src/hub/stores/delete-valve.store.js';
import { startTwentyEmulator } from '../../emulators/twenty/twenty-emulator.js';
import { seedContact, startAlertSink } from '../../support/hub/hub-kit.js';
import { cleanupRedis, ENGINES, freshDb, redisUrl, testLog, uniquePrefix } from '../../support/test-env.js';

const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

describe.each(ENGINES)('the delete valve on a contact target (%s)', (engine) => {
  it('a storm of single deletions (one webhook each) trashes a bounded number of Twenty people and alerts', async () => {
    const prefix = uniquePrefix();
    const db = await freshDb(engine);
    stops.push(() => db.dispose());
    stops.push(() => cleanupRedis(prefix));
    const twenty = await startTwentyEmulator();
    stops.push(() => twenty.stop());
    const sink = await startAlertSink();
    stops.push(() => sink.stop());
    const env = { TWENTY_API_URL: twenty.url, TWENTY_API_KEY: twenty.apiKey, TWENTY_RATE_LIMIT_PER_MINUTE: '10000', KITH_ALERT_WEBHOOK_URL: sink.url, KITH_CONTACTS_MAX_DELETE_SHARE: '0.1' };
    const clock = { now: Date.now() };
    const hub = await openHub({ db: db.db, redisUrl: redisUrl(), prefix, log: testLog, env, clock: () => clock.now });
    stops.push(() => hub.close());

    const contacts = Array.from({ length: 40 }, (_, i) => seedContact(i));
    for (const c of contacts) await hub.systems.canonical.put(c, 0);
    await runTargetJob(hub, 'twenty', { items: contacts.map((c) => ({ contactId: c.contact_id, version: 1 })) }, { last: false });
    expect(twenty.people().filter((p) => p.deletedAt == null)).toHaveLength(40);

    // Every contact deleted, each arriving as its own change and its own push.
    for (const c of contacts) {
      const deleted = { ...c, deleted_at: '2026-01-28T10:00:00.000Z', sync_metadata: { ...c.sync_metadata, version: 2, last_updated: '2026-01-28T10:00:00.000Z' } };
      await hub.systems.canonical.put(deleted, 1);
      await runTargetJob(hub, 'twenty', { items: [{ contactId: c.contact_id, version: 2 }] }, { last: false });
    }
    const live = twenty.people().filter((p) => p.deletedAt == null).length;
    expect(40 - live).toBe(DELETE_FLOOR);
    expect(sink.alerts.some((a) => a.kind === 'safety_valve' && a.subject === 'delete:twenty')).toBe(true);
    // Held back, not lost: an hour later the next pushes are allowed another budget.
    clock.now += DELETE_WINDOW_MS + 1;
    await runTargetJob(hub, 'twenty', { items: contacts.map((c) => ({ contactId: c.contact_id, version: 2 })) }, { last: false });
    expect(twenty.people().filter((p) => p.deletedAt == null)).toHaveLength(40 - 2 * DELETE_FLOOR);
  });
});
