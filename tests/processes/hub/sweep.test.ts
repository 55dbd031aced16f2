import { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coreSchedules } from '../../../src/producers/schedules.producer.js';
import { listPending } from '../../../src/hub/stores/contact-outbox.store.js';
import { measureDrift } from '../../../src/hub/services/drift.service.js';
import type { Hub } from '../../../src/hub/hub-context.js';
import { syncAllContacts, type SweepReport } from '../../../src/hub/services/sweep.service.js';
import { readSyncLogs } from '../../../src/sync/sync-log.store.js';
import { readSyncState } from '../../../src/sync/sync-state.store.js';
import { type HubEnv, seedContact, startHubEnv, until } from '../../support/hub/hub-kit.js';

const N = 120;

/** Lost webhooks: both emulators deliver none, so only the sweep can find the changes. */
describe('sync_all_contacts (the 5-minute sweep) with cursors', () => {
  let h: HubEnv;
  beforeAll(async () => {
    h = await startHubEnv({ canonical: 'local', extraEnv: { KITH_CONTACTS_PAGE_SIZE: '50' } });
    h.twenty.setWebhook(undefined);
    h.supabase.setWebhook(undefined);
    for (let i = 0; i < N; i++) await h.hub.systems.canonical.put(seedContact(i), 0);
  }, 40_000);
  afterAll(async () => {
    await h?.stop();
  });

  const sweepJob = async (id: string): Promise<SweepReport> => {
    const q = h.queue('contacts-sweep');
    await q.add('sync_all_contacts', { dryRun: false }, { jobId: id });
    // State first, then the job: a job read while still active has no return value yet.
    const job = await until(async () => {
      const state = await q.getJobState(id);
      if (state !== 'completed' && state !== 'failed') return false;
      const j = (await Job.fromId(q, id))!;
      if (state === 'failed') throw new Error(`sweep failed: ${j.failedReason}`);
      return j;
    }, 'sweep job', 20_000);
    await h.settle(20_000);
    return job.returnvalue as SweepReport;
  };
  const bySystem = (r: SweepReport, s: string) => r.systems.find((x) => x.system === s)!;

  it('the schedule runs every KITH_CONTACTS_SYNC_EVERY (default 5 minutes)', () => {
    const every = (env: Record<string, string>) => coreSchedules(env).find((s) => s.queue === 'contacts-sweep')!.everyMs;
    expect(every({})).toBe(300_000);
    expect(every({ KITH_CONTACTS_SYNC_EVERY: '300s' })).toBe(300_000);
    expect(every({ KITH_CONTACTS_SYNC_EVERY: '2m' })).toBe(120_000);
    expect(every({ KITH_CONTACTS_SYNC_EVERY: '90000' })).toBe(90_000);
    expect(() => coreSchedules({ KITH_CONTACTS_SYNC_EVERY: 'soon' })).toThrow(/KITH_CONTACTS_SYNC_EVERY: must be a duration/);
  });

  it('--dry-run reports what would change per system and writes nothing', async () => {
    h.twenty.createPerson({ name: { firstName: 'Grace', lastName: 'Hopper' }, emails: { primaryEmail: 'grace@example.org', additionalEmails: [] } });
    const r = await syncAllContacts(h.hub, { dryRun: true });
    expect(bySystem(r, 'twenty')).toMatchObject({ role: 'source', read: 1, counts: { created: 1 } });
    expect(bySystem(r, 'supabase')).toMatchObject({ role: 'source', read: 0 });
    expect(bySystem(r, 'local')).toMatchObject({ role: 'canonical', read: N, counts: { supabase: N, twenty: N } });
    expect((await h.supabase.sql('SELECT contact_id FROM contacts')).length).toBe(0);
    expect(h.twenty.people().length).toBe(1);
    expect((await h.db.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM contact_links'))!.n).toBe(0);
    expect(await readSyncState(h.db.db, 'contacts:local')).toBeUndefined();
    expect(await listPending(h.db.db)).toEqual([]);
    expect(await readSyncLogs(h.db.db, { kind: 'hub-sweep' })).toEqual([]);
  });

  it('a run that crashes mid-way resumes from the saved cursor, never from scratch', async () => {
    // This process dies on the canonical feed's second page (page size 50).
    let calls = 0;
    const canonical = h.hub.systems.canonical;
    const crashing: Hub = {
      ...h.hub,
      redis: h.hub.redis,
      flow: h.hub.flow,
      systems: {
        ...h.hub.systems,
        canonical: {
          ...canonical,
          system: canonical.system,
          get: (id) => canonical.get(id),
          put: (c, v) => canonical.put(c, v),
          findByEmail: (e) => canonical.findByEmail(e),
          listSince: (cursor, limit) => (++calls === 2 ? Promise.reject(new Error('process killed')) : canonical.listSince(cursor, limit)),
        },
      },
    };
    const first = await syncAllContacts(crashing, {});
    expect(bySystem(first, 'local')).toMatchObject({ read: 50, error: 'process killed' });
    expect(bySystem(first, 'twenty').counts).toEqual({ created: 1 });
    expect((await readSyncState(h.db.db, 'contacts:local'))).toMatchObject({ cursor: '50', stage: 'failed', failure_count: 1 });
    // One sync log row per system swept, the failed one with its error.
    const firstLogs = await readSyncLogs(h.db.db, { kind: 'hub-sweep' });
    expect(firstLogs.map((l) => [l.system, l.status]).sort()).toEqual([['local', 'failed'], ['supabase', 'succeeded'], ['twenty', 'succeeded']]);
    expect(firstLogs.find((l) => l.system === 'twenty')!.counts).toEqual({ created: 1, updated: 0, unchanged: 0, deleted: 0, skipped: 0, failed: 0 });
    expect(firstLogs.find((l) => l.system === 'local')).toMatchObject({ error: 'process killed', details: { role: 'canonical', read: 50 } });
    for (const l of firstLogs) expect(l.durationMs).toBeGreaterThanOrEqual(0);

    // The scheduled job (in the worker process) picks up at contact 51; Grace (created in the first run) comes last.
    const second = await sweepJob('sweep-after-crash');
    expect(bySystem(second, 'local')).toMatchObject({ read: N + 1 - 50 });
    // Twenty's feed now lists Kith's own writes of the first page: echoes, nothing else.
    expect(Object.keys(bySystem(second, 'twenty').counts).filter((k) => k !== 'echo')).toEqual([]);
    expect((await readSyncState(h.db.db, 'contacts:local'))).toMatchObject({ stage: 'idle', failure_count: 0 });
    const secondLogs = (await readSyncLogs(h.db.db, { kind: 'hub-sweep' })).filter((l) => !firstLogs.some((f) => f.id === l.id));
    expect(secondLogs.map((l) => [l.system, l.status]).sort()).toEqual([['local', 'succeeded'], ['supabase', 'succeeded'], ['twenty', 'succeeded']]);
    expect(secondLogs.find((l) => l.system === 'twenty')!.counts.unchanged).toBe(bySystem(second, 'twenty').counts.echo ?? 0);

    expect((await h.supabase.sql('SELECT contact_id FROM contacts')).length).toBe(N + 1);
    expect(h.twenty.people().length).toBe(N + 1);
    expect(await listPending(h.db.db)).toEqual([]);
  });

  it('a change whose webhook was lost is caught by the next sweep; drift shows what is still off', async () => {
    const [row] = await h.supabase.sql<{ contact_id: string }>(`SELECT contact_id FROM contacts WHERE first_name = 'Person 7'`);
    await h.supabase.sql(`UPDATE contacts SET job_title = 'Engineer', phones = ARRAY['+14155550123'] WHERE contact_id = $1`, [row!.contact_id]);
    const r = await sweepJob('sweep-after-edit');
    // job_title is owned by Twenty, but an empty value may be filled by anyone (field ownership rule 4).
    expect(bySystem(r, 'supabase').counts).toMatchObject({ updated: 1 });
    const c = (await h.hub.systems.canonical.get(row!.contact_id))!;
    expect(c).toMatchObject({ phones: ['+14155550123'], job_title: 'Engineer' });
    const person = h.twenty.getPerson(row!.contact_id)!;
    expect([(person.phones as { primaryPhoneNumber: string }).primaryPhoneNumber, person.jobTitle]).toEqual(['4155550123', 'Engineer']);

    // Now Twenty owns a value: a Supabase edit of it is refused and the canonical value written back.
    await h.supabase.sql(`UPDATE contacts SET job_title = 'Intern' WHERE contact_id = $1`, [row!.contact_id]);
    const back = await sweepJob('sweep-after-owned-edit');
    expect(bySystem(back, 'supabase').counts).toMatchObject({ write_back: 1 });
    const [latest] = await readSyncLogs(h.db.db, { kind: 'hub-sweep', limit: 3 }).then((l) => l.filter((x) => x.system === 'supabase'));
    expect(latest!.counts).toMatchObject({ created: 0, updated: 0, unchanged: 1 }); // the refused copy: canonical unchanged, written back
    const [after] = await h.supabase.sql<{ job_title: string | null }>('SELECT job_title FROM contacts WHERE contact_id = $1', [row!.contact_id]);
    expect(after!.job_title).toBe('Engineer');

    expect((await measureDrift(h.hub)).map((d) => [d.system, d.driftPct])).toEqual([['supabase', 0], ['twenty', 0]]);
    h.twenty.editPerson(row!.contact_id, { jobTitle: 'Drifted' });
    const drift = await measureDrift(h.hub);
    expect(drift.find((d) => d.system === 'twenty')).toMatchObject({ differing: 1, expected: N + 1 });
    const health = (await (await fetch(`${h.baseUrl}/health`)).json()) as { contacts: { systems: { system: string; drift_pct: number; pending: number; last_success: string | null }[] } };
    const twenty = health.contacts.systems.find((s) => s.system === 'twenty')!;
    expect(twenty.drift_pct).toBe(Math.round(10000 / (N + 1)) / 100);
    expect(twenty.pending).toBe(0);
    expect(twenty.last_success).not.toBeNull();
    const metrics = await (await fetch(`${h.baseUrl}/metrics`)).text();
    expect(metrics).toContain(`kith_contacts_drift_percent{system="twenty",role="target"} ${Math.round(10000 / (N + 1)) / 100}`);
    expect(metrics).toContain('kith_contacts_pending{system="supabase",role="target"} 0');
    expect(metrics.match(/^# TYPE kith_contacts_pending gauge$/gm)).toHaveLength(1);
    expect(metrics.match(/^kith_contacts_pending\{/gm)).toHaveLength(3); // local (canonical), supabase, twenty
  });
});
