import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { hashForSystem, hashSystemFields } from '../../../../src/hub/domain/contact-content.js';
import { AuthError, FatalError, InvalidInputError, TemporaryError } from '../../../../src/errors.js';
import { createSupabaseClient } from '../../../../src/systems/supabase/supabase-client.js';
import { PUSH_FUNCTION, SupabaseContactSystem } from '../../../../src/systems/supabase/supabase-contact-system.js';
import { readFileSync } from 'node:fs';
import { CONTACTS_SQL_PATH } from '../../../emulators/supabase/supabase-emulator.js';
import { supabaseError } from '../../../../src/systems/supabase/supabase-errors.js';
import { checkBearer, supabaseWebhookPayload } from '../../../../src/systems/supabase/webhook-payload.js';
import { postgresUrl } from '../../../support/test-env.js';
import { startSupabaseEmulator, type SupabaseEmulator } from '../../../emulators/supabase/supabase-emulator.js';
import { makeContact } from '../../../support/systems/twenty/contact-fixture.js';

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

  it('carries LinkedIn, tags and the last contact, through upsert and the guarded rpc; an edit of them in Supabase is an edit', async () => {
    const { emu, system } = await setup();
    const a = makeContact({ n: 1, linkedin_url: 'https://www.linkedin.com/in/person1', tags: ['vip', 'board'], last_contacted: '2026-02-03' });
    const b = makeContact({ n: 2, tags: ['friend'] });
    expect((await system.upsertMany([a])).map((o) => o.action)).toEqual(['created']);
    const guarded = await system.upsertUnlessChanged([b], new Map());
    expect(guarded!.outcomes.map((o) => o.action)).toEqual(['created']);
    const got = (await system.get({ contactId: a.contact_id }))!;
    expect(got.fields).toMatchObject({ linkedin_url: 'https://www.linkedin.com/in/person1', tags: ['vip', 'board'], last_contacted: '2026-02-03' });
    expect(hashSystemFields(got.fields, got.deletedAt)).toBe(hashForSystem(a));
    expect((await system.get({ contactId: b.contact_id }))!.fields).toMatchObject({ tags: ['friend'], linkedin_url: null, last_contacted: null });
    expect((await system.upsertMany([a]))[0]!.action).toBe('unchanged');
    await emu.sql(`UPDATE contacts SET tags = ARRAY['vip'] WHERE contact_id = '${a.contact_id}'`);
    const edited = (await system.get({ contactId: a.contact_id }))!;
    expect(edited).toMatchObject({ version: 2, updatedBy: 'supabase', fields: { tags: ['vip'] } });
    // Applying the shipped SQL again (an upgrade) keeps every row and column.
    await emu.sql(readFileSync(CONTACTS_SQL_PATH, 'utf8'));
    expect((await system.get({ contactId: a.contact_id }))!.fields).toMatchObject({ tags: ['vip'], last_contacted: '2026-02-03' });
  });

  it('upsertUnlessChanged: one rpc writes new and expected rows, skips unchanged ones, and hands back a row edited in Supabase unwritten', async () => {
    const { emu, system } = await setup();
    const [a, b, c] = [makeContact({ n: 1 }), makeContact({ n: 2 }), makeContact({ n: 3 })];
    let r = (await system.upsertUnlessChanged([a, b], new Map()))!;
    expect(r.outcomes.map((o) => [o.contactId, o.action])).toEqual([[a.contact_id, 'created'], [b.contact_id, 'created']]);
    expect(r.changed.size).toBe(0);
    // The same rows again: nothing to write, so nothing is written (no trigger, no new updated_at).
    const stamp = await emu.sql('SELECT contact_id, updated_at FROM contacts ORDER BY contact_id');
    r = (await system.upsertUnlessChanged([a, b], new Map([[a.contact_id, 1], [b.contact_id, 1]])))!;
    expect(r.outcomes.map((o) => o.action)).toEqual(['unchanged', 'unchanged']);
    expect(await emu.sql('SELECT contact_id, updated_at FROM contacts ORDER BY contact_id')).toEqual(stamp);

    // Someone edits A in Supabase: its version goes from 1 to 2.
    await emu.sql(`UPDATE contacts SET job_title = 'Edited in Supabase' WHERE contact_id = $1`, [a.contact_id]);
    const before = emu.requests.length;
    const a2 = { ...a, job_title: 'From Kith', sync_metadata: { ...a.sync_metadata, version: 2 } };
    const b2 = { ...b, job_title: 'From Kith', sync_metadata: { ...b.sync_metadata, version: 2 } };
    r = (await system.upsertUnlessChanged([a2, b2, c], new Map([[a.contact_id, 1], [b.contact_id, 1]])))!;
    expect(emu.requests.slice(before).map((q) => `${q.method} ${q.path} ${q.status}`)).toEqual([`POST /rest/v1/rpc/${PUSH_FUNCTION} 200`]);
    expect(r.outcomes.map((o) => [o.contactId, o.action])).toEqual([[b.contact_id, 'updated'], [c.contact_id, 'created']]);
    expect([...r.changed.keys()]).toEqual([a.contact_id]);
    expect(r.changed.get(a.contact_id)).toMatchObject({ system: 'supabase', version: 2, updatedBy: 'supabase', fields: { job_title: 'Edited in Supabase' } });
    // A kept its edit; B and C hold Kith's rows, written as Kith (no version bump).
    const rows = await emu.sql<{ contact_id: string; job_title: string; version: number; last_sync_source: string }>('SELECT contact_id, job_title, version, last_sync_source FROM contacts');
    const by = new Map(rows.map((x) => [x.contact_id, x]));
    expect(by.get(a.contact_id)).toMatchObject({ job_title: 'Edited in Supabase', version: 2, last_sync_source: 'supabase' });
    expect(by.get(b.contact_id)).toMatchObject({ job_title: 'From Kith', version: 2, last_sync_source: 'kith' });
    expect(by.get(c.contact_id)).toMatchObject({ version: 1, last_sync_source: 'kith' });
    // Expecting the version the edit left lets Kith's write through.
    r = (await system.upsertUnlessChanged([{ ...a2, sync_metadata: { ...a2.sync_metadata, version: 3 } }], new Map([[a.contact_id, 2]])))!;
    expect(r.outcomes.map((o) => o.action)).toEqual(['updated']);
    expect(await system.get({ contactId: a.contact_id })).toMatchObject({ version: 3, updatedBy: 'kith', fields: { job_title: 'From Kith' } });
  });

  it('upsertUnlessChanged without the function (an older contacts.sql) writes nothing, says so once, and leaves guarded pushes to read and write', async () => {
    const schemaSql = readFileSync(CONTACTS_SQL_PATH, 'utf8').replace(/CREATE OR REPLACE FUNCTION kith_push_contacts[\s\S]*?\n\$\$;\n/, '');
    expect(schemaSql).not.toContain('FUNCTION kith_push_contacts');
    const emu = await startSupabaseEmulator({ postgresUrl: postgresUrl(), schemaSql });
    stops.push(() => emu.stop());
    const system = new SupabaseContactSystem(createSupabaseClient({ url: emu.url, key: emu.key }));
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      expect(await system.upsertUnlessChanged([makeContact({ n: 1 })], new Map())).toBeUndefined();
      expect(await system.upsertUnlessChanged([makeContact({ n: 2 })], new Map())).toBeUndefined();
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(system.pushFunctionMissing).toBe(true);
    // Asked once (PostgREST's 404 for an unknown function), remembered after.
    expect(emu.requests.map((q) => `${q.method} ${q.path} ${q.status}`)).toEqual([`POST /rest/v1/rpc/${PUSH_FUNCTION} 404`]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('contacts.sql');
    expect(await emu.sql('SELECT count(*)::int AS n FROM contacts')).toEqual([{ n: 0 }]);
    // A table not named contacts never calls the function (it is written for that table).
    expect(await new SupabaseContactSystem(createSupabaseClient({ url: emu.url, key: emu.key }), 'people').upsertUnlessChanged([makeContact({ n: 3 })], new Map())).toBeUndefined();
    expect(emu.requests).toHaveLength(1);
  });

  it('the emulator serves /rest/v1/rpc like PostgREST: named arguments, defaults, 404 PGRST202 for an unknown function or argument', async () => {
    const { emu, client } = await setup();
    await emu.sql(`CREATE FUNCTION add_them(a integer, b integer DEFAULT 10) RETURNS integer LANGUAGE sql AS 'SELECT a + b'`);
    await emu.sql(`CREATE FUNCTION series_to(n integer) RETURNS SETOF integer LANGUAGE sql AS 'SELECT generate_series(1, n)'`);
    // Functions are read when the emulator starts (PostgREST's schema cache): start another on the same schema.
    const again = await startSupabaseEmulator({ postgresUrl: postgresUrl(), schemaSql: `${readFileSync(CONTACTS_SQL_PATH, 'utf8')}
      CREATE FUNCTION add_them(a integer, b integer DEFAULT 10) RETURNS integer LANGUAGE sql AS 'SELECT a + b';
      CREATE FUNCTION series_to(n integer) RETURNS SETOF integer LANGUAGE sql AS 'SELECT generate_series(1, n)';` });
    stops.push(() => again.stop());
    const sdk = createSupabaseClient({ url: again.url, key: again.key });
    expect((await sdk.rpc('add_them', { a: 1, b: 2 })).data).toBe(3);
    expect((await sdk.rpc('add_them', { a: 1 })).data).toBe(11);
    expect((await sdk.rpc('series_to', { n: 3 })).data).toEqual([1, 2, 3]);
    const unknown = await sdk.rpc('add_them', { a: 1, c: 2 });
    expect(unknown.status).toBe(404);
    expect(unknown.error).toMatchObject({ code: 'PGRST202' });
    expect((await sdk.rpc('no_such_function', {})).error).toMatchObject({ code: 'PGRST202' });
    // The first emulator started before the functions existed: it does not know them.
    expect((await client.rpc('add_them', { a: 1 })).error).toMatchObject({ code: 'PGRST202' });
    const bad = await sdk.rpc(PUSH_FUNCTION, { rows: { not: 'an array' } });
    expect(bad.error).toMatchObject({ code: '22023' });
    expect(bad.error!.message).toContain('rows must be a JSON array');
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

  it('a Supabase nobody answers at is a retryable network error (through the pooled fetch)', async () => {
    // A port that was just free: connection refused.
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const { port } = probe.address() as AddressInfo;
    await new Promise((r) => probe.close(r));
    const system = new SupabaseContactSystem(createSupabaseClient({ url: `http://127.0.0.1:${port}`, key: 'k' }));
    const err = await system.get({ contactId: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemporaryError);
    expect((err as TemporaryError).code).toBe('supabase_network');
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
    // Too large for a notification's payload (8,000 bytes): it takes the emulator's outbox, in order all the same.
    await emu.sql(`UPDATE contacts SET notes = repeat('long ', 2000) WHERE contact_id = $1`, [c.contact_id]);
    await emu.sql(`UPDATE contacts SET notes = 'short again' WHERE contact_id = $1`, [c.contact_id]);
    await system.softDelete([{ contactId: c.contact_id }], '2026-02-01T00:00:00.000Z');
    await emu.sql(`DELETE FROM contacts`);
    await emu.flushWebhooks();

    const payloads = received.map((r) => {
      expect(checkBearer(r.headers.authorization, secret)).toBe(true);
      return supabaseWebhookPayload.parse(JSON.parse(r.body));
    });
    expect(payloads.map((p) => p.type)).toEqual(['INSERT', 'UPDATE', 'UPDATE', 'UPDATE', 'UPDATE', 'DELETE']);
    expect(payloads.every((p) => p.table === 'contacts' && p.schema === 'public')).toBe(true);
    const [ins, edit, long, short, del, gone] = payloads;
    expect(long!.record!.notes).toBe('long '.repeat(2000));
    expect([long!.old_record!.notes, short!.record!.notes, short!.old_record!.notes]).toEqual(['typed in the dashboard', 'short again', 'long '.repeat(2000)]);
    expect(ins!.old_record).toBeNull();
    expect(ins!.record).toMatchObject({ contact_id: c.contact_id, version: 1, last_sync_source: 'kith' });
    expect(edit!.record).toMatchObject({ notes: 'typed in the dashboard', version: 2, last_sync_source: 'supabase' });
    expect(edit!.old_record).toMatchObject({ notes: null, version: 1 });
    expect(del!.record!.deleted_at).toBeTruthy();
    expect(gone!.record).toBeNull();
    expect(gone!.old_record).toMatchObject({ contact_id: c.contact_id });
    expect(emu.webhookDeliveries.map((d) => d.status)).toEqual([200, 200, 200, 200, 200, 200]);
  });
});
