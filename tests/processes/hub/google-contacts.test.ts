import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalContact } from '../../../src/hub/domain/canonical-contact.js';
import { pushToTarget } from '../../../src/hub/services/push.service.js';
import { syncAllContacts } from '../../../src/hub/services/sweep.service.js';
import { runKith } from '../../support/cli.js';
import { ENGINES } from '../../support/test-env.js';
import { type HubEnv, seedContact, startHubEnv, until } from '../../support/hub/hub-kit.js';

interface Sweep {
  dryRun: boolean;
  systems: { system: string; role: string; read: number; counts: Record<string, number>; error?: string }[];
}

const kithIdOf = (p: Record<string, unknown>) => (p.clientData as { key: string; value: string }[] | undefined)?.find((d) => d.key === 'kith_contact_id')?.value;
const googleWrites = (h: HubEnv) => ['createContact', 'updateContact', 'deleteContact'].reduce((n, m) => n + (h.google!.stats.requests[m] ?? 0), 0);

/** Google Contacts as a system of the contact hub: Google owns names, emails and phones by default. */
describe.each(ENGINES)('Google Contacts in the contact hub, on %s', (engine) => {
  let h: HubEnv;
  beforeAll(async () => {
    h = await startHubEnv({ engine, google: true, extraEnv: { KITH_CONTACTS_MAX_DELETE_SHARE: '1' } });
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
  });

  const inGoogle = (contactId: string) => until(async () => h.google!.contacts().find((p) => kithIdOf(p) === contactId), `contact ${contactId} in Google`);
  const put = async (c: CanonicalContact, over: Partial<CanonicalContact>) => {
    const next = { ...c, ...over, sync_metadata: { version: c.sync_metadata.version + 1, last_updated: new Date(h.clock.now()).toISOString(), last_updated_by: 'kith' as const } };
    await h.hub.systems.canonical.put(next, c.sync_metadata.version);
    return next;
  };

  it('creates, updates and deletes fan out to Google; a Google-side edit comes back through the sweep to every system', async () => {
    let c = seedContact(1, { emails: ['ada@example.org'] });
    await h.hub.systems.canonical.put(c, 0);
    await syncAllContacts(h.hub);
    await h.settle(30_000);
    const made = await inGoogle(c.contact_id);
    const rn = String(made.resourceName);
    expect(made).toMatchObject({ names: [expect.objectContaining({ unstructuredName: 'Person 1 Example', givenName: 'Person 1', familyName: 'Example' })], emailAddresses: [expect.objectContaining({ value: 'ada@example.org' })] });

    await h.clock.advance(60_000);
    c = await put(c, { company: 'Analytical Engines', job_title: 'Analyst' });
    await syncAllContacts(h.hub);
    await h.settle(30_000);
    await until(async () => (h.google!.person(rn)?.organizations as { name?: string }[] | undefined)?.[0]?.name === 'Analytical Engines', 'the update in Google');

    // The person adds a phone in Google Contacts: the sweep reads it with its sync token.
    await h.clock.advance(60_000);
    h.google!.edit(rn, { phoneNumbers: [{ value: '+44 20 7946 0018' }] });
    const report = await syncAllContacts(h.hub);
    expect(report.systems.find((s) => s.system === 'google')).toMatchObject({ role: 'source', counts: { updated: 1 } });
    await h.settle(30_000);
    const canonical = await until(async () => {
      const got = await h.hub.systems.canonical.get(c.contact_id);
      return got?.phones.length ? got : undefined;
    }, 'the Google edit in the canonical store');
    expect(canonical.phones).toEqual(['+44 20 7946 0018']);
    expect(canonical.company).toBe('Analytical Engines');
    const row = await until(async () => {
      const rows = await h.supabase.sql<{ phones: unknown }>(`SELECT phones FROM contacts WHERE contact_id = '${c.contact_id}'`);
      return JSON.stringify(rows[0]?.phones ?? null).includes('7946') ? rows[0] : undefined;
    }, 'the Google edit in Supabase');
    expect(row).toBeDefined();
    // Kith's own write did not come back as an edit: one contact in Google, still with the phone.
    expect(h.google!.contacts()).toHaveLength(1);
    expect((h.google!.person(rn)!.phoneNumbers as { value: string }[]).map((p) => p.value)).toEqual(['+44 20 7946 0018']);

    await h.clock.advance(60_000);
    const latest = (await h.hub.systems.canonical.get(c.contact_id))!;
    await put(latest, { deleted_at: new Date(h.clock.now()).toISOString() });
    await syncAllContacts(h.hub);
    await h.settle(30_000);
    await until(async () => h.google!.person(rn) === undefined, 'the contact deleted in Google');
  }, 120_000);

  it('a Google edit made while Kith writes the contact is merged, not overwritten, and reaches the canonical record', async () => {
    let c = seedContact(3, { emails: ['cy@example.org'] });
    await h.hub.systems.canonical.put(c, 0);
    await syncAllContacts(h.hub);
    await h.settle(30_000);
    const rn = String((await inGoogle(c.contact_id)).resourceName);
    await h.clock.advance(60_000);
    c = await put(c, { job_title: 'Engineer' });
    // Kith reads the copy (its etag) for the write; the person edits the phone in Google before the write lands.
    const google = h.hub.systems.targets.get('google')!;
    expect(await google.get({ externalId: rn })).toBeDefined();
    h.google!.edit(rn, { phoneNumbers: [{ value: '+1 555 0123' }] });
    const stale = h.google!.stats.staleEtags;
    const pushed = await pushToTarget(h.hub, 'google', [{ contactId: c.contact_id, version: c.sync_metadata.version }], { guard: false });
    expect(pushed.written).toBe(1);
    expect(h.google!.stats.staleEtags - stale).toBe(1);
    const held = h.google!.person(rn)!;
    expect((held.phoneNumbers as { value: string }[]).map((p) => p.value)).toEqual(['+1 555 0123']);
    expect((held.organizations as { title?: string }[])[0]!.title).toBe('Engineer');

    await syncAllContacts(h.hub);
    await h.settle(30_000);
    const canonical = await until(async () => {
      const got = await h.hub.systems.canonical.get(c.contact_id);
      return got?.phones.length ? got : undefined;
    }, 'the Google edit in the canonical store');
    expect(canonical).toMatchObject({ phones: ['+1 555 0123'], job_title: 'Engineer' });
  }, 120_000);

  it('a contact deleted in Google is deleted in the canonical store by the sweep', async () => {
    const c = seedContact(4, { emails: ['dee@example.org'] });
    await h.hub.systems.canonical.put(c, 0);
    await syncAllContacts(h.hub);
    await h.settle(30_000);
    const rn = String((await inGoogle(c.contact_id)).resourceName);
    await h.clock.advance(60_000);
    h.google!.remove(rn);
    await syncAllContacts(h.hub);
    await h.settle(30_000);
    const gone = await until(async () => {
      const got = await h.hub.systems.canonical.get(c.contact_id);
      return got?.deleted_at ? got : undefined;
    }, 'the Google deletion in the canonical store');
    expect(gone.emails).toEqual(['dee@example.org']);
  }, 90_000);

  it('sync-all --dry-run shows what would change in Google and writes nothing', async () => {
    const c = seedContact(2, { emails: ['bob@example.org'] });
    await h.hub.systems.canonical.put(c, 0);
    const [grace] = h.google!.add({ names: [{ displayName: 'Grace Hopper' }], emailAddresses: [{ value: 'grace@example.org' }] });
    const held = h.google!.contacts();
    expect(held.map((p) => p.resourceName)).toContain(grace);
    const writes = googleWrites(h);
    const r = await runKith(['contacts', 'sync-all', '--dry-run', '--json'], { ...h.env, REDIS_URL: undefined }, 60_000);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as Sweep;
    expect(report.dryRun).toBe(true);
    expect(report.systems.find((s) => s.system === 'google')).toMatchObject({ role: 'source', counts: { created: 1 } });
    expect(report.systems.find((s) => s.role === 'canonical')!.counts.google).toBeGreaterThanOrEqual(1);
    expect(googleWrites(h)).toBe(writes);
    expect(h.google!.contacts()).toEqual(held);
    expect(h.google!.contacts().some((p) => kithIdOf(p) === c.contact_id)).toBe(false);
  }, 90_000);
});
