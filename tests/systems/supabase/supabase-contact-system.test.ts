import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { hashForSystem, hashSystemFields } from '../../../src/domain/contacts/contact-content.js';
import { AuthError, FatalError, InvalidInputError, TemporaryError } from '../../../src/errors.js';
import { createSupabaseClient } from '../../../src/systems/supabase/supabase-client.js';
import { SupabaseContactSystem } from '../../../src/systems/supabase/supabase-contact-system.js';
import { supabaseError } from '../../../src/systems/supabase/supabase-errors.js';
import { checkBearer, supabaseWebhookPayload } from '../../../src/systems/supabase/webhook-payload.js';
import { postgresUrl } from '../../support/test-env.js';
import { startSupabaseEmulator, type SupabaseEmulator } from '../../emulators/supabase/supabase-emulator.js';
import { makeContact } from '../twenty/contact-fixture.js';

const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function setup(opts: { webhookUrl?: string; webhookSecret?: string } = {}) {
  const emu = await startSupabaseEmulator({ postgresUrl: postgresUrl(), ...opts });
  stops.push(() => emu.stop());
  const client = createSupabaseClient({ url: emu.url, key: emu.key });
  return { emu, client, system: new SupabaseContactSystem(client) };
}

const writes = (emu: SupabaseEmulator) => emu.requests.filter((r) => r.method !== 'GET');

describe('SupabaseContactSystem with supabase-js against the emulator', () => {
  it('creates, reads back, and repeats an upsert without writing or duplicating', async () => {
    const { emu, system } = await setup();
    const a = makeContact({ n: 1, category_code: 'G', subcategory_code: 'G2', llm_context: { closeness_level: 4, key_interests: ['go'] }, notes: 'met at a conference' });
    const b = makeContact({ n: 2 });
    expect((await system.upsertMany([a, b])).map((o) => o.action)).toEqual(['created', 'created']);
    const upsert = writes(emu)[0]!;
    expect(upsert.query).toContain('on_conflict=contact_id');
    expect(upsert.prefer).toContain('resolution=merge-duplicates');

    const got = await system.get({ contactId: a.contact_id });
    expect(got).toMatchObject({ system: 'supabase', externalId: a.contact_id, version: 1, updatedBy: 'kith', deletedAt: null, updatedAt: a.sync_metadata.last_updated });
    expect(got!.fields).toMatchObject({ category_code: 'G', subcategory_code: 'G2', llm_context: { closeness_level: 4, key_interests: ['go'] }, notes: 'met at a conference', emails: ['person1@example.com'] });
    expect(await system.get({ contactId: '00000000-0000-4000-8000-000000000000' })).toBeUndefined();
    expect(hashSystemFields(got!.fields, got!.deletedAt)).toBe(hashForSystem(a));

    const before = writes(emu).length;
    expect((await system.upsertMany([a, b])).map((o) => o.action)).toEqual(['unchanged', 'unchanged']);
    expect(writes(emu).length).toBe(before);
    const v2 = { ...a, job_title: 'CTO', sync_metadata: { ...a.sync_metadata, version: 2 } };
    expect((await system.upsertMany([v2]))[0]!.action).toBe('updated');
    expect(await emu.sql('SELECT count(*)::int AS n FROM contacts')).toEqual([{ n: 2 }]);
    expect((await system.get({ contactId: a.contact_id }))!).toMatchObject({ version: 2, fields: { job_title: 'CTO' } });
  });

  it('writes rows the caller just read (opts.read) without reading their state again', async () => {
    const { emu, system } = await setup();
    const a = makeContact({ n: 1 });
    const b = makeContact({ n: 2 });
    await system.upsertMany([a]);
    const reads = () => emu.requests.filter((r) => r.method === 'GET').length;
    const before = reads();
    const a2 = { ...a, job_title: 'CTO', sync_metadata: { ...a.sync_metadata, version: 2 } };
    const out = await system.upsertMany([a2, b], undefined, { read: new Map([[a.contact_id, true], [b.contact_id, false]]) });
    expect(out.map((o) => [o.contactId, o.action])).toEqual([[a.contact_id, 'updated'], [b.contact_id, 'created']]);
    expect(reads()).toBe(before);
    expect(await emu.sql('SELECT count(*)::int AS n FROM contacts')).toEqual([{ n: 2 }]);
    expect((await system.get({ contactId: a.contact_id }))!).toMatchObject({ version: 2, fields: { job_title: 'CTO' } });
  });

  it('pages through changes past one page in (updated_at, contact_id) order and resumes from the cursor', async () => {
    const { emu, system } = await setup();
    const many = Array.from({ length: 230 }, (_, i) => makeContact({ n: i }));
    await system.upsertMany(many);
    // Force ties: many rows with one updated_at, so only the contact_id tie-break keeps paging exact.
    await emu.sql(`ALTER TABLE contacts DISABLE TRIGGER contacts_before_write`);
    await emu.sql(`UPDATE contacts SET updated_at = '2026-03-01T00:00:00.123456Z' WHERE contact_id < '8'`);
    await emu.sql(`ALTER TABLE contacts ENABLE TRIGGER contacts_before_write`);
    const seen: string[] = [];
    let cursor: string | undefined;
    let done = false;
    for (let i = 0; i < 20 && !done; i++) {
      const page = await system.listChanged(cursor, 50);
      seen.push(...page.contacts.map((c) => c.externalId));
      cursor = page.cursor;
      done = page.done;
    }
    expect(done).toBe(true);
    const expected = (await emu.sql<{ contact_id: string }>('SELECT contact_id FROM contacts ORDER BY updated_at, contact_id')).map((r) => r.contact_id);
    expect(seen).toEqual(expected);
    expect((await system.listChanged(cursor, 50)).contacts).toEqual([]);
  });

  it('sees an edit made in Supabase as a new version from supabase, and Kith writes as not', async () => {
    const { emu, client, system } = await setup();
    const c = makeContact();
    await system.upsertMany([c]);
    const { cursor } = await system.listChanged(undefined, 100);
    // The app edits the row with supabase-js, as any Supabase client would.
    const { error } = await client.from('contacts').update({ job_title: 'Edited in app' }).eq('contact_id', c.contact_id);
    expect(error).toBeNull();
    const page = await system.listChanged(cursor, 100);
    expect(page.contacts).toHaveLength(1);
    expect(page.contacts[0]).toMatchObject({ version: 2, updatedBy: 'supabase', fields: { job_title: 'Edited in app' } });
    // A no-op edit is not a change.
    await emu.sql(`UPDATE contacts SET job_title = job_title`);
    expect((await system.listChanged(page.cursor, 100)).contacts).toEqual([]);
    // Kith's next write with the same version is not skipped (the row changed) and is not counted as an app edit.
    expect((await system.upsertMany([{ ...c, sync_metadata: { ...c.sync_metadata, version: 3 } }]))[0]!.action).toBe('updated');
    expect(await system.get({ contactId: c.contact_id })).toMatchObject({ version: 3, updatedBy: 'kith', fields: { job_title: 'Engineer' } });
    // A row inserted by the app gets a contact_id of its own.
    const ins = await client.from('contacts').insert({ canonical_name: 'App Made' }).select('contact_id').single();
    expect(ins.error).toBeNull();
    expect(await system.get({ contactId: (ins.data as { contact_id: string }).contact_id })).toMatchObject({ updatedBy: 'supabase', version: 1 });
  });

  it('soft-deletes once, never removes rows, and an upsert after it is written', async () => {
    const { emu, system } = await setup();
    const c = makeContact();
    await system.upsertMany([c]);
    await system.softDelete([{ contactId: c.contact_id }], '2026-02-01T00:00:00.000Z');
    await system.softDelete([{ contactId: c.contact_id }], '2026-02-05T00:00:00.000Z');
    expect((await system.get({ contactId: c.contact_id }))!.deletedAt).toBe('2026-02-01T00:00:00.000Z');
    expect(emu.requests.some((r) => r.method === 'DELETE')).toBe(false);
    expect((await system.upsertMany([c]))[0]!.action).toBe('updated');
    expect((await system.get({ contactId: c.contact_id }))!.deletedAt).toBeNull();
  });

  it('maps errors from the wire through the error table', async () => {
    const { emu, client, system } = await setup();
    emu.injectFault({ status: 500 });
    await expect(system.get({ contactId: 'x' })).rejects.toBeInstanceOf(TemporaryError);
    emu.injectFault({ reset: true });
    await expect(system.get({ contactId: 'x' })).rejects.toBeInstanceOf(TemporaryError);
    const wrong = new SupabaseContactSystem(createSupabaseClient({ url: emu.url, key: 'not-the-key' }));
    await expect(wrong.get({ contactId: 'x' })).rejects.toBeInstanceOf(AuthError);
    const missing = new SupabaseContactSystem(client, 'no_such_table');
    await expect(missing.listChanged(undefined, 10)).rejects.toBeInstanceOf(FatalError);
    // A constraint violation through the real SDK names the column.
    const bad = await client.from('contacts').insert({ canonical_name: 'X', category_code: 'Z' });
    const err = supabaseError(bad.error!, bad.status, 'insert');
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.message).toContain('column category_code');
    await expect(system.listChanged('garbage', 10)).rejects.toThrow(/cursor/);
  });

  it('speaks enough PostgREST for supabase-js: count, ranges, in, or, order, single, delete', async () => {
    const { client } = await setup();
    const rows = ['Ann', 'Bob', 'Cy', 'Di'].map((name, i) => ({ canonical_name: name, emails: [`${name.toLowerCase()}@x.io`], version: i + 1 }));
    const ins = await client.from('contacts').insert(rows).select('canonical_name,version');
    expect(ins.status).toBe(201);
    expect(ins.data).toHaveLength(4);
    const page = await client.from('contacts').select('canonical_name', { count: 'exact' }).order('canonical_name', { ascending: false }).range(1, 2);
    expect(page.count).toBe(4);
    expect(page.data).toEqual([{ canonical_name: 'Cy' }, { canonical_name: 'Bob' }]);
    const inq = await client.from('contacts').select('canonical_name').in('canonical_name', ['Ann', 'Di', 'Nobody']).order('canonical_name');
    expect(inq.data).toEqual([{ canonical_name: 'Ann' }, { canonical_name: 'Di' }]);
    const orq = await client.from('contacts').select('canonical_name').or('version.gte.4,and(canonical_name.eq."Ann",version.lt.2)').order('version');
    expect(orq.data).toEqual([{ canonical_name: 'Ann' }, { canonical_name: 'Di' }]);
    const cs = await client.from('contacts').select('canonical_name').contains('emails', ['bob@x.io']).single();
    expect(cs.data).toEqual({ canonical_name: 'Bob' });
    const none = await client.from('contacts').select('*').eq('canonical_name', 'Nobody').single();
    expect(none.error?.code).toBe('PGRST116');
    const del = await client.from('contacts').delete().eq('canonical_name', 'Cy').select('canonical_name');
    expect(del.data).toEqual([{ canonical_name: 'Cy' }]);
    const ilike = await client.from('contacts').select('canonical_name', { count: 'exact', head: true }).ilike('canonical_name', '%N%');
    expect(ilike.count).toBe(1);
    const unknownCol = await client.from('contacts').select('nickname');
    expect(unknownCol.error?.code).toBe('42703');
  });
});

describe('Supabase emulator Database Webhooks', () => {
  it('POSTs {type, table, schema, record, old_record} with the bearer secret for adapter, SDK and SQL changes', async () => {
    const received: { headers: IncomingHttpHeaders; body: string }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200).end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    stops.push(async () => {
      server.close();
      await once(server, 'close');
    });
    const secret = 'db-webhook-secret';
    const { emu, system } = await setup({ webhookUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/supabase`, webhookSecret: secret });
    const c = makeContact();
    await system.upsertMany([c]);
    await emu.sql(`UPDATE contacts SET notes = 'typed in the dashboard' WHERE contact_id = $1`, [c.contact_id]);
    await system.softDelete([{ contactId: c.contact_id }], '2026-02-01T00:00:00.000Z');
    await emu.sql(`DELETE FROM contacts`);
    await emu.flushWebhooks();

    const payloads = received.map((r) => {
      expect(checkBearer(r.headers.authorization, secret)).toBe(true);
      return supabaseWebhookPayload.parse(JSON.parse(r.body));
    });
    expect(payloads.map((p) => p.type)).toEqual(['INSERT', 'UPDATE', 'UPDATE', 'DELETE']);
    expect(payloads.every((p) => p.table === 'contacts' && p.schema === 'public')).toBe(true);
    const [ins, edit, del, gone] = payloads;
    expect(ins!.old_record).toBeNull();
    expect(ins!.record).toMatchObject({ contact_id: c.contact_id, version: 1, last_sync_source: 'kith' });
    expect(edit!.record).toMatchObject({ notes: 'typed in the dashboard', version: 2, last_sync_source: 'supabase' });
    expect(edit!.old_record).toMatchObject({ notes: null, version: 1 });
    expect(del!.record!.deleted_at).toBeTruthy();
    expect(gone!.record).toBeNull();
    expect(gone!.old_record).toMatchObject({ contact_id: c.contact_id });
    expect(emu.webhookDeliveries.map((d) => d.status)).toEqual([200, 200, 200, 200]);
  });
});
