import { afterEach, describe, expect, it } from 'vitest';
import { FatalError, InvalidInputError, TemporaryError } from '../../../../src/errors.js';
import { versionHash } from '../../../../src/systems/bigquery/bigquery-contact.mapper.js';
import { BigQueryContactSystem, createBigQueryContactSystem } from '../../../../src/systems/bigquery/bigquery-contact-system.js';
import { BigQueryCanonicalStore } from '../../../../src/systems/bigquery/bigquery-canonical.store.js';
import { toKithError } from '../../../../src/systems/bigquery/bigquery-errors.js';
import { CONTACT_VERSIONS_FIELDS } from '../../../../src/systems/bigquery/contact-versions.table.js';
import { type Kit, contact, startKit, versionRows } from '../../../support/systems/bigquery/bq-test-kit.js';

let kit: Kit | undefined;
afterEach(async () => {
  await kit?.stop();
  kit = undefined;
});

const insertAllCalls = (k: Kit) => k.emu.requests.filter((r) => r.path.endsWith('/insertAll'));

describe('BigQueryContactSystem against the emulator (real SDK)', () => {
  it('ensureSchema is idempotent and creates the partitioned, clustered log table', async () => {
    kit = await startKit();
    await kit.store.ensureSchema();
    await kit.store.ensureSchema();
    const creates = kit.emu.requests.filter((r) => r.method === 'POST' && /\/(datasets|tables)$/.test(r.path));
    expect(creates).toHaveLength(6); // dataset + table, three times; the last two runs got 409
    const [meta] = await kit.store['client'].dataset('kith').table('contact_versions').getMetadata();
    expect(meta.schema.fields.map((f: { name: string }) => f.name)).toEqual(CONTACT_VERSIONS_FIELDS.map((f) => f.name));
    expect(meta.timePartitioning).toEqual({ type: 'DAY', field: 'written_at' });
    expect(meta.clustering).toEqual({ fields: ['contact_id'] });
  });

  it('refuses to write to an existing table that lacks its columns', async () => {
    kit = await startKit();
    await kit.store['client'].dataset('kith').createTable('foreign', { schema: { fields: [{ name: 'contact_id', type: 'STRING' }] } });
    const other = new BigQueryContactSystem({ client: kit.store['client'], datasetId: 'kith', tableId: 'foreign' });
    await expect(other.ensureSchema()).rejects.toThrow(/foreign exists without column\(s\) version, content_hash/);
  });

  it('round-trips a contact: upsert, get, getCanonical', async () => {
    kit = await startKit();
    const c = contact();
    expect(await kit.store.upsertMany([c])).toEqual([{ contactId: c.contact_id, externalId: c.contact_id, action: 'created' }]);
    const got = await kit.store.get({ contactId: c.contact_id });
    expect(got).toMatchObject({ system: 'bigquery', externalId: c.contact_id, version: 1, updatedBy: 'twenty', deletedAt: null, updatedAt: '2026-01-27T10:00:00.000Z' });
    expect(got!.fields.llm_context).toEqual(c.llm_context);
    const canonical = await kit.store.getCanonical(c.contact_id);
    expect(canonical).toEqual({ ...c, sync_metadata: { ...c.sync_metadata, last_updated: '2026-01-27T10:00:00.000Z' } });
    expect(await kit.store.get({ contactId: '00000000-0000-4000-8000-000000000000' })).toBeUndefined();
  });

  it('re-upserting the same input appends nothing; a stale version appends nothing', async () => {
    kit = await startKit();
    const v1 = contact();
    await kit.store.upsertMany([v1]);
    expect((await kit.store.upsertMany([v1]))[0]!.action).toBe('unchanged');
    // Same instant spelled differently is the same content.
    expect((await kit.store.upsertMany([{ ...v1, deleted_at: null, sync_metadata: { ...v1.sync_metadata } }]))[0]!.action).toBe('unchanged');
    const v2 = { ...v1, company: 'Royal Society', sync_metadata: { ...v1.sync_metadata, version: 2 } };
    expect((await kit.store.upsertMany([v2]))[0]!.action).toBe('updated');
    expect((await kit.store.upsertMany([v1]))[0]!.action).toBe('unchanged');
    expect(versionRows(kit.emu)).toHaveLength(2);
    expect(insertAllCalls(kit)).toHaveLength(2);
  });

  it('reads the latest of several versions, also when one batch carries two versions of a contact', async () => {
    kit = await startKit();
    const base = contact();
    const other = contact({ canonical_name: 'Charles Babbage' });
    for (let v = 1; v <= 3; v++) await kit.store.upsertMany([{ ...base, job_title: `title ${v}`, sync_metadata: { ...base.sync_metadata, version: v } }]);
    await kit.store.upsertMany([
      { ...base, job_title: 'title 5', sync_metadata: { ...base.sync_metadata, version: 5 } },
      other,
      { ...base, job_title: 'title 4', sync_metadata: { ...base.sync_metadata, version: 4 } },
    ]);
    const latest = await kit.store.getCanonical(base.contact_id);
    expect(latest).toMatchObject({ job_title: 'title 5', sync_metadata: { version: 5 } });
    const all = await kit.store.latestAll();
    expect(all.map((c) => [c.canonical_name, c.sync_metadata.version]).sort()).toEqual([
      ['Ada Lovelace', 5],
      ['Charles Babbage', 1],
    ]);
  });

  it('a retried insertAll with the same insertId does not duplicate; readers dedupe identical rows anyway', async () => {
    kit = await startKit({ maxRetries: 1 });
    const c = contact();
    // The server applies the insert but the response is lost: the SDK retries the same body.
    kit.emu.failNext(503, 'backendError', { match: /insertAll$/, afterApply: true });
    expect((await kit.store.upsertMany([c]))[0]!.action).toBe('created');
    const calls = insertAllCalls(kit);
    expect(calls).toHaveLength(2);
    expect(calls[0]!.body).toEqual(calls[1]!.body);
    const insertId = (calls[0]!.body as { rows: { insertId: string }[] }).rows[0]!.insertId;
    expect(insertId).toBe(`${c.contact_id}:1:${versionHash(c)}`);
    expect(versionRows(kit.emu)).toHaveLength(1);

    // Past the dedupe window BigQuery would store the copy: readers must still see one contact.
    kit.emu.advance(5 * 60_000);
    await kit.store['client'].dataset('kith').table('contact_versions').insert((calls[0]!.body as { rows: never[] }).rows, { raw: true });
    expect(versionRows(kit.emu)).toHaveLength(2);
    expect(await kit.store.latestAll()).toHaveLength(1);
    const page = await kit.store.listChanged(undefined, 10);
    expect(page.contacts.map((x) => x.contactId)).toEqual([c.contact_id]);
    expect((await kit.store.upsertMany([c]))[0]!.action).toBe('unchanged');
  });

  it('a lost response without SDK retries surfaces as TemporaryError and the job retry appends nothing', async () => {
    kit = await startKit({ maxRetries: 0 });
    const c = contact();
    kit.emu.failNext(503, 'backendError', { match: /insertAll$/, afterApply: true });
    await expect(kit.store.upsertMany([c])).rejects.toBeInstanceOf(TemporaryError);
    expect((await kit.store.upsertMany([c]))[0]!.action).toBe('unchanged');
    expect(versionRows(kit.emu)).toHaveLength(1);
  });

  it('softDelete appends a deleted version once', async () => {
    kit = await startKit();
    const c = contact();
    await kit.store.upsertMany([c]);
    await kit.store.softDelete([{ contactId: c.contact_id }], '2026-02-01T00:00:00Z');
    await kit.store.softDelete([{ contactId: c.contact_id }], '2026-02-02T00:00:00Z');
    await kit.store.softDelete([{ contactId: '00000000-0000-4000-8000-000000000000' }], '2026-02-02T00:00:00Z');
    expect(versionRows(kit.emu)).toHaveLength(2);
    expect(await kit.store.get({ externalId: c.contact_id })).toMatchObject({ version: 2, deletedAt: '2026-02-01T00:00:00.000Z', updatedBy: 'kith', fields: { canonical_name: 'Ada Lovelace' } });
    expect(await kit.store.latestAll()).toEqual([]);
    expect(await kit.store.latestAll({ includeDeleted: true })).toHaveLength(1);
  });

  it('the canonical store reads a contact\'s history from contact_versions: each version once, its changed fields, newest first', async () => {
    let now = Date.UTC(2026, 1, 1);
    kit = await startKit({ now: () => now });
    const store = new BigQueryCanonicalStore(kit.store);
    const c = contact();
    await store.put(c, 0);
    now += 60_000;
    const v2 = { ...c, company: 'Royal Society', sync_metadata: { ...c.sync_metadata, version: 2, last_updated_by: 'notion' as const } };
    await store.put(v2, 1);
    await store.put(v2);
    // A row redelivered past BigQuery's insertId window is stored twice; the history counts it once.
    const sent = kit.emu.requests.filter((r) => r.path.endsWith('/insertAll')).at(-1)!.body as { rows: never[] };
    kit.emu.advance(5 * 60_000);
    await kit.store['client'].dataset('kith').table('contact_versions').insert(sent.rows, { raw: true });
    now += 60_000;
    await kit.store.softDelete([{ contactId: c.contact_id }], '2026-02-03T00:00:00Z');
    expect(versionRows(kit.emu)).toHaveLength(4);
    const h = await store.history(c.contact_id);
    expect(h.map((v) => [v.version, v.system, v.origin, v.changed, v.deleted])).toEqual([
      [3, 'kith', null, ['deleted_at'], true],
      [2, 'notion', null, ['company'], false],
      [1, 'twenty', null, expect.arrayContaining(['canonical_name', 'emails', 'llm_context']), false],
    ]);
    expect(h[1]).toMatchObject({ recordedAt: '2026-02-01T00:01:00.000Z', record: { company: 'Royal Society', deleted_at: null } });
    expect(await store.history(c.contact_id, 2)).toHaveLength(2);
    expect(await store.history('00000000-0000-4000-8000-000000000000')).toEqual([]);
  });

  it('pages listChanged over more rows than one page (and than one REST result page), oldest first', async () => {
    kit = await startKit({ pageRows: 4, overlapMs: 0 });
    const contacts = Array.from({ length: 25 }, (_, i) => contact({ canonical_name: `Person ${i}` }));
    for (let i = 0; i < 25; i += 5) await kit.store.upsertMany(contacts.slice(i, i + 5));
    const seen: string[] = [];
    let cursor: string | undefined;
    const sizes: number[] = [];
    for (let i = 0; i < 10; i++) {
      const page = await kit.store.listChanged(cursor, 10);
      sizes.push(page.contacts.length);
      seen.push(...page.contacts.map((x) => x.contactId!));
      cursor = page.cursor;
      if (page.done) break;
    }
    expect(sizes).toEqual([10, 10, 5]);
    expect(new Set(seen).size).toBe(25);
    expect(seen.slice(0, 5).sort()).toEqual(contacts.slice(0, 5).map((c) => c.contact_id).sort());
    expect(kit.emu.requests.some((r) => r.method === 'GET' && r.path.includes('/queries/') && r.query.pageToken)).toBe(true);

    const changed = { ...contacts[3]!, notes: 'new', sync_metadata: { ...contacts[3]!.sync_metadata, version: 2 } };
    await kit.store.upsertMany([changed]);
    const next = await kit.store.listChanged(cursor, 10);
    expect(next.contacts.map((x) => [x.contactId, x.version])).toEqual([[changed.contact_id, 2]]);
    expect(next.done).toBe(true);
    expect((await kit.store.listChanged(next.cursor, 10)).contacts).toEqual([]);
  });

  it('the cursor overlap picks up a row that arrives late with an older written_at', async () => {
    kit = await startKit();
    const skewed = createBigQueryContactSystem(kit.config, { now: () => Date.now() - 60_000 });
    const strict = createBigQueryContactSystem(kit.config, { overlapMs: 0 });
    await kit.store.upsertMany([contact(), contact()]);
    const first = await kit.store.listChanged(undefined, 100);
    const firstStrict = await strict.listChanged(undefined, 100);
    expect(first.contacts).toHaveLength(2);
    const late = contact({ canonical_name: 'Late Arrival' });
    await skewed.upsertMany([late]);
    const again = await kit.store.listChanged(first.cursor, 100);
    expect(again.contacts.map((x) => x.contactId)).toContain(late.contact_id);
    expect((await strict.listChanged(firstStrict.cursor, 100)).contacts).toEqual([]);
  });

  it('the emulator refuses DML over freshly streamed rows, and the adapter never sends DML', async () => {
    kit = await startKit();
    const c = contact();
    await kit.store.upsertMany([c]);
    await kit.store.softDelete([{ contactId: c.contact_id }], '2026-02-01T00:00:00Z');
    await kit.store.listChanged(undefined, 10);
    const client = kit.store['client'];
    const del = { query: 'DELETE FROM `kith-test.kith.contact_versions` WHERE contact_id = @id', params: { id: c.contact_id } };
    const err = await client.query(del).then(() => undefined, (e: unknown) => e);
    expect(String((err as Error).message)).toMatch(/would affect rows in the streaming buffer, which is not supported/);
    expect(toKithError(err, 'delete')).toBeInstanceOf(FatalError);
    const sent = kit.emu.requests.filter((r) => r.path.endsWith('/queries') && r.method === 'POST').map((r) => (r.body as { query: string }).query);
    expect(sent.slice(0, -1).every((q) => /^SELECT /.test(q) && (q.match(/@\w+/g) ?? []).length > 0)).toBe(true);
    kit.emu.advance(31 * 60_000);
    const [, , resp] = (await client.query(del)) as unknown as [unknown, unknown, { numDmlAffectedRows: string }];
    expect(resp.numDmlAffectedRows).toBe('2');
  });

  it('insertAll row errors name the row, the contact and the field', async () => {
    kit = await startKit();
    const fields = CONTACT_VERSIONS_FIELDS.map((f) => (f.name === 'insert_id' ? { ...f, type: 'INT64' } : f));
    await kit.store['client'].dataset('kith').createTable('bad_types', { schema: { fields } });
    const bad = new BigQueryContactSystem({ client: kit.store['client'], datasetId: 'kith', tableId: 'bad_types' });
    const [a, b] = [contact(), contact()];
    const err = await bad.upsertMany([a, b]).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(new RegExp(`row 0 \\(contact ${a.contact_id}\\) field 'insert_id': Cannot convert value to integer`));
  });
});
