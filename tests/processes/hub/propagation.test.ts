import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getLinks } from '../../../src/hub/stores/contact-links.store.js';
import { listPending } from '../../../src/hub/stores/contact-outbox.store.js';
import { listConflicts } from '../../../src/hub/stores/sync-conflicts.store.js';
import { type HubEnv, startHubEnv, supabaseWrites, twentyWrites, until } from '../../support/hub/hub-kit.js';

/**
 * End to end with BigQuery as canonical (so Supabase, the local DB and Twenty are all targets):
 * emulators send real webhooks to a Kith HTTP server, a real `kith worker` process runs the jobs.
 */
describe('contact hub propagation (BigQuery canonical, real worker process)', () => {
  let h: HubEnv;
  let id: string;
  beforeAll(async () => {
    h = await startHubEnv({ canonical: 'bigquery' });
  }, 40_000);
  afterAll(async () => {
    await h?.stop();
  });

  const sbRow = async (contactId: string) => (await h.supabase.sql<Record<string, unknown>>('SELECT * FROM contacts WHERE contact_id = $1', [contactId]))[0];
  const localRow = (contactId: string) => h.db.db.get<Record<string, unknown>>('SELECT * FROM contacts WHERE contact_id = ?', [contactId]);

  it('a person created and then edited in Twenty reaches the canonical store, Supabase and the local DB, with no write back to Twenty', async () => {
    const person = h.twenty.createPerson({ name: { firstName: 'Ada', lastName: 'Lovelace' }, emails: { primaryEmail: 'ada@example.org', additionalEmails: [] }, jobTitle: 'Analyst' });
    id = person.id as string;
    await until(async () => (await sbRow(id))?.job_title === 'Analyst', 'create to reach Supabase');
    await h.settle();
    const supabaseAfterCreate = supabaseWrites(h.supabase);

    h.twenty.editPerson(id, { jobTitle: 'Chief Analyst' });
    const canonical = await until(async () => {
      const c = await h.hub.systems.canonical.get(id);
      return c?.job_title === 'Chief Analyst' && c;
    }, 'edit to reach the canonical store');
    expect(canonical.sync_metadata).toMatchObject({ version: 2, last_updated_by: 'twenty' });
    await until(async () => (await sbRow(id))?.job_title === 'Chief Analyst', 'edit to reach Supabase');
    await until(async () => (await localRow(id))?.job_title === 'Chief Analyst', 'edit to reach the local DB');
    await h.settle();

    expect(Number((await sbRow(id))!.version)).toBe(2);
    expect(Number((await localRow(id))!.version)).toBe(2);
    // Echo suppression: one upsert to Supabase for the edit; its webhook back causes nothing.
    expect(supabaseWrites(h.supabase) - supabaseAfterCreate).toBe(1);
    // The change came from Twenty: nothing is ever written back to it, and its fan-out has no
    // Twenty child at all (Twenty holds exactly the new version), only Supabase's and the local DB's.
    expect(twentyWrites(h.twenty)).toBe(0);
    const children = async (target: string) => (await h.queue(`contacts-to-${target}`).getJob(`${id}.v2.${target}`))?.id;
    expect([await children('supabase'), await children('local'), await children('twenty')]).toEqual([`${id}.v2.supabase`, `${id}.v2.local`, undefined]);
    const links = await getLinks(h.db.db, id);
    expect(links.map((l) => [l.system, l.lastVersion])).toEqual([['local', 2], ['supabase', 2], ['twenty', 2]]);
    expect(await listPending(h.db.db)).toEqual([]);
  });

  it('an edit in Supabase reaches Twenty once; the Twenty echo causes no second write', async () => {
    const twentyBefore = twentyWrites(h.twenty);
    const supabaseBefore = supabaseWrites(h.supabase);
    await h.supabase.sql(`UPDATE contacts SET first_name = 'Augusta', canonical_name = 'Augusta Lovelace', phones = ARRAY['+441234567890'] WHERE contact_id = $1`, [id]);
    await until(async () => (h.twenty.getPerson(id)?.name as { firstName?: string })?.firstName === 'Augusta', 'Supabase edit to reach Twenty');
    await h.settle();
    const person = h.twenty.getPerson(id)!;
    expect((person.phones as { primaryPhoneNumber: string }).primaryPhoneNumber).toBe('1234567890');
    const c = (await h.hub.systems.canonical.get(id))!;
    expect(c).toMatchObject({ first_name: 'Augusta', canonical_name: 'Augusta Lovelace', phones: ['+441234567890'] });
    expect(c.sync_metadata).toMatchObject({ version: 3, last_updated_by: 'supabase' });
    expect(((await localRow(id))!.first_name)).toBe('Augusta');
    expect(twentyWrites(h.twenty) - twentyBefore).toBe(1);
    // Supabase was the source: nothing written back to it (the dashboard SQL is not an API write).
    expect(supabaseWrites(h.supabase) - supabaseBefore).toBe(0);
    // Twenty's webhook for Kith's own PATCH was delivered and recognised as an echo.
    expect(h.twenty.webhookDeliveries.filter((d) => d.recordId === id && d.eventName === 'person.updated').length).toBeGreaterThanOrEqual(2);
  });

  it('concurrent edits in Twenty and Supabase: the later edit wins, whatever order the events are processed in', async () => {
    await h.supabase.sql(`UPDATE contacts SET last_name = 'King' WHERE contact_id = $1`, [id]);
    await h.clock.advance(20);
    h.twenty.editPerson(id, { name: { firstName: 'Augusta', lastName: 'Byron' } });
    await h.settle();
    await until(async () => (await h.hub.systems.canonical.get(id))?.last_name === 'Byron', 'later edit (Twenty) to win');
    await h.settle();
    expect((await sbRow(id))!.last_name).toBe('Byron');
    expect((h.twenty.getPerson(id)!.name as { lastName: string }).lastName).toBe('Byron');
    expect((await localRow(id))!.last_name).toBe('Byron');
    expect(await listConflicts(h.db.db)).toEqual([]);
  });

  it('equal version and time with different content is recorded as a conflict, written nowhere, and alerted', async () => {
    const before = (await h.hub.systems.canonical.get(id))!;
    const twentyBefore = twentyWrites(h.twenty);
    // Another writer sets the content without touching version or last_updated_at (a new sync_write_id
    // tells the trigger it is a sync write, so it bumps nothing).
    await h.supabase.sql(`UPDATE contacts SET notes = 'written elsewhere', sync_write_id = gen_random_uuid() WHERE contact_id = $1`, [id]);
    const [conflict] = await until(async () => {
      const l = await listConflicts(h.db.db);
      return l.length > 0 && l;
    }, 'conflict to be recorded');
    expect(conflict).toMatchObject({ contactId: id, reason: 'conflict' });
    expect([conflict!.a.system, conflict!.b.system].sort()).toEqual(['bigquery', 'supabase']);
    await h.settle();
    expect((await h.hub.systems.canonical.get(id))!.sync_metadata.version).toBe(before.sync_metadata.version);
    expect((await h.hub.systems.canonical.get(id))!.notes).toBe(before.notes);
    expect(twentyWrites(h.twenty)).toBe(twentyBefore);
    await until(async () => h.alertSink.alerts.some((a) => a.kind === 'new_conflict'), 'new_conflict alert at KITH_ALERT_WEBHOOK_URL');
    // A chat's incoming webhook (Slack, Discord's /slack) shows `text`: one line naming the alert.
    const alert = h.alertSink.alerts.find((a) => a.kind === 'new_conflict')!;
    expect(alert).toMatchObject({ source: 'kith', kind: 'new_conflict', subject: expect.any(String), message: expect.any(String) });
    expect(alert.text).toBe(`Kith alert new_conflict (${String(alert.subject)}): ${String(alert.message)}`);
    expect(alert.text).not.toMatch(/\n/);
    const health = (await (await fetch(`${h.baseUrl}/health`)).json()) as { contacts: { systems: { system: string; open_conflicts: number }[] } };
    expect(health.contacts.systems.find((s) => s.system === 'supabase')!.open_conflicts).toBe(1);
  });
});
