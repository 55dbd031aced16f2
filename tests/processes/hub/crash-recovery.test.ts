import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listPending } from '../../../src/hub/stores/contact-outbox.store.js';
import { enqueueFanout } from '../../../src/hub/services/propagation.service.js';
import { type HubEnv, seedContact, spawnWorker, startHubEnv, until } from '../../support/hub/hub-kit.js';

const N = 40;

describe('a worker killed with SIGKILL mid-propagation', () => {
  let h: HubEnv;
  beforeAll(async () => {
    // Twenty slowed to 10 requests/s by Kith's own limiter, so jobs are mid-flight when the worker dies;
    // a 2 s job lock brings the dead worker's jobs back quickly.
    h = await startHubEnv({ canonical: 'local', extraEnv: { TWENTY_RATE_LIMIT_PER_MINUTE: '600', KITH_JOB_LOCK_MS: '2000' } });
  }, 40_000);
  afterAll(async () => {
    await h?.stop();
  });

  it('loses nothing and duplicates nothing after a restart', async () => {
    const contacts = Array.from({ length: N }, (_, i) => seedContact(i));
    for (const c of contacts) await h.hub.systems.canonical.put(c, 0);
    for (const c of contacts) await enqueueFanout(h.hub, [{ contactId: c.contact_id, version: 1 }]);
    const creates = () => h.twenty.requests.filter((r) => r.method === 'POST' && r.status === 201).length;
    await until(async () => creates() >= 3, 'first Twenty creates');
    h.workers[0]!.child.kill('SIGKILL');
    await h.workers[0]!.stop();
    const doneBeforeKill = creates();
    expect(doneBeforeKill).toBeLessThan(N);
    expect((await listPending(h.db.db, { target: 'twenty' })).length).toBeGreaterThan(0);

    h.workers[0] = await spawnWorker(h.env);
    await h.settle(40_000);

    expect(await listPending(h.db.db)).toEqual([]);
    const people = h.twenty.people();
    expect(people.map((p) => p.id).sort()).toEqual(contacts.map((c) => c.contact_id).sort());
    for (const c of contacts) expect((h.twenty.getPerson(c.contact_id)!.name as { firstName: string }).firstName).toBe(c.first_name);
    // Each person created exactly once, never rewritten: a retried job found it already there.
    expect(creates()).toBe(N);
    expect(h.twenty.requests.filter((r) => r.method === 'PATCH').length).toBe(0);
    const rows = await h.supabase.sql<{ contact_id: string; version: number }>('SELECT contact_id, version FROM contacts');
    expect(rows.map((r) => r.contact_id).sort()).toEqual(contacts.map((c) => c.contact_id).sort());
    expect(new Set(rows.map((r) => Number(r.version)))).toEqual(new Set([1]));
  }, 50_000);
});
