import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listPending } from '../../src/contacts/contact-outbox.store.js';
import type { SystemContact } from '../../src/contacts/contact-system.js';
import { applyInbound, applyRecord } from '../../src/hub/inbound.service.js';
import { type HubEnv, startHubEnv } from './hub-kit.js';

/**
 * Group commit of fan-outs, end to end with a real worker process (local canonical: Supabase
 * and Twenty are the targets): changes merged at the same moment share one flow, and its
 * guarded children write every contact they carry.
 */
describe('batched fan-out (local canonical, real worker process)', () => {
  let h: HubEnv;
  beforeAll(async () => {
    h = await startHubEnv();
  }, 40_000);
  afterAll(async () => {
    await h?.stop();
  });

  const twentyCopy = (i: number): SystemContact => {
    const id = randomUUID();
    return {
      system: 'twenty', externalId: id, contactId: id, updatedAt: new Date().toISOString(), deletedAt: null,
      fields: { canonical_name: `Batch Person ${i}`, first_name: 'Batch', last_name: `Person ${i}`, emails: [`batch${i}@example.org`], phones: [], job_title: `Role ${i}` },
    };
  };

  it('concurrent changes share fan-out flows; every contact reaches its target and the outbox empties', async () => {
    const copies = Array.from({ length: 8 }, (_, i) => twentyCopy(i));
    const outcomes = await Promise.all(copies.map((c) => applyRecord(h.hub, c)));
    expect(outcomes.map((o) => o.action)).toEqual(Array(8).fill('created'));
    const parents = new Set(outcomes.map((o) => ('fanout' in o ? o.fanout : undefined)));
    expect(parents.has(undefined)).toBe(false);
    // Fewer flows than changes: at least one carried several contacts.
    expect(parents.size).toBeLessThan(copies.length);
    const batchId = [...parents].find((p) => p!.startsWith('batch.'))!;
    const parent = await h.queue('contacts-fanout').getJob(batchId);
    expect(parent!.data.ids.length).toBeGreaterThan(1);
    // One guarded child per target, carrying exactly the contacts the parent lists.
    for (const target of ['supabase', 'twenty']) {
      const child = await h.queue(`contacts-to-${target}`).getJob(`${batchId}.${target}`);
      expect(child!.data).toMatchObject({ target, guard: true });
      expect(child!.data.items.map((i: { contactId: string }) => i.contactId).sort()).toEqual([...parent!.data.ids].sort());
    }
    await h.settle();
    const rows = await h.supabase.sql<{ contact_id: string; job_title: string }>('SELECT contact_id, job_title FROM contacts WHERE contact_id = ANY($1)', [copies.map((c) => c.contactId)]);
    expect(new Map(rows.map((r) => [r.contact_id, r.job_title]))).toEqual(new Map(copies.map((c) => [c.contactId!, c.fields.job_title])));
    for (const c of copies) expect(h.twenty.getPerson(c.contactId!)?.jobTitle).toBe(c.fields.job_title);
    expect(await listPending(h.db.db)).toEqual([]);
  });

  it('a webhook record that beats the canonical one is merged as carried; a stale one is decided by reading Twenty', async () => {
    const person = h.twenty.createPerson({ name: { firstName: 'Grace', lastName: 'Hopper' }, emails: { primaryEmail: 'grace@example.org', additionalEmails: [] }, jobTitle: 'Old' });
    const id = person.id as string;
    await h.settle();
    const stale = { ...h.twenty.getPerson(id)! };
    await new Promise((r) => setTimeout(r, 5));
    h.twenty.editPerson(id, { jobTitle: 'New' });
    await h.settle();
    expect((await h.hub.systems.canonical.get(id))?.job_title).toBe('New');
    const reads = () => h.twenty.requests.filter((r) => r.method === 'GET').length;

    // The earlier state arrives late (a reordered event): Twenty's current copy decides, nothing changes.
    const before = reads();
    const out = await applyInbound(h.hub, { system: 'twenty', externalId: id, record: stale });
    expect(reads()).toBeGreaterThan(before);
    expect(out.action === 'same_content' || out.action === 'echo').toBe(true);
    expect((await h.hub.systems.canonical.get(id))?.job_title).toBe('New');

    // A fresh edit whose webhook is handled here: merged from the record, Twenty is not read.
    const fresh = h.twenty.editPerson(id, { jobTitle: 'Newest' });
    const beforeFresh = reads();
    const applied = await applyInbound(h.hub, { system: 'twenty', externalId: id, record: fresh });
    // (The emulator's own webhook for this edit may reach the worker first: then it is already merged.)
    expect(['updated', 'same_content', 'echo']).toContain(applied.action);
    expect(reads()).toBe(beforeFresh);
    expect((await h.hub.systems.canonical.get(id))?.job_title).toBe('Newest');
    await h.settle();
  });
});

