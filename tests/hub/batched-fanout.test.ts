import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listPending } from '../../src/contacts/contact-outbox.store.js';
import { readCopies, type SystemContact } from '../../src/contacts/contact-system.js';
import { TemporaryError } from '../../src/errors.js';
import { withContactLock, withContactLocks } from '../../src/hub/contact-lock.js';
import { applyInbound, applyRecord } from '../../src/hub/inbound.service.js';
import { syncContactToAll } from '../../src/hub/propagation.service.js';
import { redisUrl } from '../support/test-env.js';
import { type HubEnv, seedContact, startHubEnv } from './hub-kit.js';

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

  it('getCopies of Supabase and Twenty answer what get answers, keyed by contact id, absent ids left out', async () => {
    const seeded = [seedContact(1, { job_title: 'One' }), seedContact(2, { job_title: 'Two' })];
    for (const c of seeded) {
      await h.hub.systems.canonical.put(c, 0);
      await syncContactToAll(h.hub, c.contact_id);
    }
    await h.settle();
    const missing = randomUUID();
    for (const name of ['supabase', 'twenty'] as const) {
      const system = h.hub.systems.targets.get(name)!;
      const refs = [...seeded.map((c) => ({ contactId: c.contact_id })), { contactId: missing }];
      const copies = await system.getCopies!(refs);
      expect([...copies.keys()].sort()).toEqual(seeded.map((c) => c.contact_id).sort());
      for (const c of seeded) expect(copies.get(c.contact_id)).toEqual(await system.get({ contactId: c.contact_id }));
      // The fallback (one get per ref) answers the same.
      expect(await readCopies({ ...system, getCopies: undefined, get: (r) => system.get(r) }, refs)).toEqual(copies);
    }
  });
});

describe('contact locks', () => {
  const prefix = `{lk${randomUUID().slice(0, 8)}}`;
  let r: Redis;
  beforeAll(() => {
    r = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    const keys = await r.keys(`${prefix}*`);
    if (keys.length) await r.del(...keys);
    r.disconnect();
  });
  const key = (id: string) => `${prefix}:hub:lock:${id}`;

  it('takes a set of locks all or nothing: none while one is held elsewhere, all once it is free', async () => {
    await r.set(key('b'), 'someone-else', 'PX', 30_000);
    let ran = false;
    const waiting = withContactLocks(r, prefix, ['a', 'b', 'c'], async () => {
      ran = true;
      return [await r.get(key('a')), await r.get(key('c'))];
    });
    await new Promise((res) => setTimeout(res, 100));
    expect(ran).toBe(false);
    expect(await r.exists(key('a'), key('c'))).toBe(0);
    await r.del(key('b'));
    const held = await waiting;
    expect(held[0]).toMatch(/^[0-9a-f]{16}$/);
    expect(held[1]).toBe(held[0]);
    expect(await r.exists(key('a'), key('b'), key('c'))).toBe(0);
  });

  it('gives up after waitMs with a retryable error and leaves no key behind', async () => {
    await r.set(key('y'), 'someone-else', 'PX', 30_000);
    const err = await withContactLocks(r, prefix, ['x', 'y'], async () => 1, { waitMs: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemporaryError);
    expect((err as TemporaryError).code).toBe('contact_locked');
    expect(await r.exists(key('x'))).toBe(0);
    expect(await r.get(key('y'))).toBe('someone-else');
    await r.del(key('y'));
  });

  it('releasing never deletes a lock that expired and was taken by another holder', async () => {
    await withContactLock(r, prefix, 'z', async () => {
      // Our lock expires; another holder takes it before we release.
      await r.set(key('z'), 'next-holder', 'PX', 30_000);
    }, { ttlMs: 50 });
    expect(await r.get(key('z'))).toBe('next-holder');
    await r.del(key('z'));
  });
});
