import { BigQuery } from '@google-cloud/bigquery';
import { OAuth2Client } from 'google-auth-library';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BigQueryEmulator, startBigQueryEmulator } from '../../../emulators/bigquery/bigquery-emulator.js';

let emu: BigQueryEmulator;
let bq: BigQuery;

function sdk(token = 'emu-token'): BigQuery {
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: token });
  return new BigQuery({ projectId: emu.projectId, apiEndpoint: emu.url, authClient: auth, retryOptions: { autoRetry: false } });
}

const fail = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as { code?: number; errors?: { reason: string }[]; message: string });

beforeEach(async () => {
  emu = await startBigQueryEmulator({ token: 'emu-token', pageRows: 3 });
  bq = sdk();
  const [ds] = await bq.createDataset('shop');
  await ds.createTable('orders', {
    schema: {
      fields: [
        { name: 'id', type: 'STRING', mode: 'REQUIRED' },
        { name: 'customer', type: 'STRING' },
        { name: 'amount', type: 'FLOAT64' },
        { name: 'qty', type: 'INT64' },
        { name: 'paid', type: 'BOOL' },
        { name: 'at', type: 'TIMESTAMP' },
        { name: 'meta', type: 'JSON' },
      ],
    },
  });
  const rows = [
    { id: '1', customer: 'ann', amount: 10.5, qty: 1, paid: true, at: '2026-01-01T00:00:00Z', meta: '{"src":"web"}' },
    { id: '2', customer: 'ann', amount: 4.5, qty: 3, paid: false, at: '2026-01-02T00:00:00.123456Z', meta: '{"src":"app"}' },
    { id: '3', customer: 'bob', amount: 7, qty: 2, paid: true, at: '2026-01-03 12:00:00 UTC', meta: '{}' },
    { id: '4', customer: "o'hara", amount: 1, qty: 1, paid: true, at: '2026-01-04T00:00:00+02:00', meta: null },
  ];
  await bq.dataset('shop').table('orders').insert(rows.map((json) => ({ insertId: `ins-${json.id}`, json })), { raw: true });
});

afterEach(async () => {
  await emu.stop();
});

describe('BigQuery emulator', () => {
  it('executes real SQL: aggregates, window functions, parameters, typed schema, paging', async () => {
    const [rows] = await bq.query({
      query: `SELECT customer, COUNT(*) AS n, SUM(amount) AS total
              FROM \`kith-test.shop.orders\` WHERE paid = @paid OR qty >= @min_qty GROUP BY customer ORDER BY customer`,
      params: { paid: true, min_qty: 3 },
    });
    expect(rows.map((r: Record<string, unknown>) => [r.customer, r.n, r.total])).toEqual([
      ['ann', 2, 15],
      ['bob', 1, 7],
      ["o'hara", 1, 1],
    ]);

    const [job] = await bq.createQueryJob({ query: 'SELECT id, paid, meta, at, ROW_NUMBER() OVER (PARTITION BY customer ORDER BY at DESC) AS rn FROM `shop.orders` WHERE id IN UNNEST(@ids) ORDER BY id', params: { ids: ['1', '2', '4'] } });
    const [all] = await job.getQueryResults();
    expect(all.map(({ at, ...r }: { at: { value: string } }) => ({ ...r, at: at.value }))).toEqual([
      { id: '1', paid: true, meta: '{"src":"web"}', rn: 2, at: '2026-01-01T00:00:00.000Z' },
      { id: '2', paid: false, meta: '{"src":"app"}', rn: 1, at: '2026-01-02T00:00:00.123456000Z' },
      { id: '4', paid: true, meta: null, rn: 1, at: '2026-01-03T22:00:00.000Z' },
    ]);
    const [resp] = await bq.query({ query: "SELECT id FROM `shop.orders` WHERE customer = \"o\\'hara\" OR JSON_VALUE(meta, '$.src') = 'app'" }, { autoPaginate: false });
    expect(resp).toHaveLength(2);
    // pageRows 3: the 4-row result came back over two REST pages.
    const [four] = await bq.query('SELECT id FROM `shop.orders` ORDER BY id');
    expect(four.map((r: { id: string }) => r.id)).toEqual(['1', '2', '3', '4']);
    const paged = emu.requests.filter((r) => r.method === 'GET' && r.query.pageToken);
    expect(paged.length).toBeGreaterThan(0);
  });

  it('answers SQL errors, unknown tables and missing auth with BigQuery error bodies', async () => {
    const syntax = await fail(bq.query('SELEC 1'));
    expect(syntax).toMatchObject({ code: 400, errors: [{ reason: 'invalidQuery' }] });
    const missing = await fail(bq.query('SELECT * FROM `shop.nope`'));
    expect(missing).toMatchObject({ code: 404, errors: [{ reason: 'notFound' }] });
    expect(missing!.message).toBe('Not found: Table kith-test:shop.nope');
    const qualify = await fail(bq.query('SELECT id FROM `shop.orders` QUALIFY ROW_NUMBER() OVER () = 1'));
    expect(qualify!.message).toMatch(/QUALIFY is not supported/);
    const unauth = await fail(sdk('wrong').query('SELECT 1'));
    expect(unauth).toMatchObject({ code: 401 });
    emu.failNext(403, 'quotaExceeded', { match: /queries/ });
    expect(await fail(bq.query('SELECT 1 AS one'))).toMatchObject({ code: 403, errors: [{ reason: 'quotaExceeded' }] });
    const [[one]] = await bq.query('SELECT 1 AS one');
    expect(one).toEqual({ one: 1 });
  });

  it('insertAll validates rows (nothing is written when one row is bad) and dedupes insertIds in its window', async () => {
    const table = bq.dataset('shop').table('orders');
    const err = (await fail(table.insert([{ id: '9', qty: 'many' }, { customer: 'no id' }, { id: '10' }], { partialRetries: 0 }))) as unknown as { response: { insertErrors: unknown[] } };
    expect(err.response.insertErrors).toEqual([
      { index: 0, errors: [{ reason: 'invalid', location: 'qty', debugInfo: '', message: 'Cannot convert value to integer (bad value).' }] },
      { index: 1, errors: [{ reason: 'invalid', location: 'id', debugInfo: '', message: 'Missing required field: id.' }] },
      { index: 2, errors: [{ reason: 'stopped', location: '', debugInfo: '', message: '' }] },
    ]);
    expect(emu.tableRows('shop', 'orders')).toHaveLength(4);
    await table.insert([{ insertId: 'ins-1', json: { id: '1' } }], { raw: true });
    expect(emu.tableRows('shop', 'orders')).toHaveLength(4);
    emu.advance(61_000);
    await table.insert([{ insertId: 'ins-1', json: { id: '1' } }], { raw: true });
    expect(emu.tableRows('shop', 'orders')).toHaveLength(5);
  });

  it('refuses UPDATE/DELETE over streamed rows for streamingBufferMs, decided on the rows touched', async () => {
    const dml = (q: string) => bq.query(q).then(([, , r]) => (r as unknown as { numDmlAffectedRows: string }).numDmlAffectedRows);
    await dml("INSERT INTO `shop.orders` (id, customer) VALUES ('5', 'dml')");
    // A row written by DML is not in the streaming buffer: it can be changed right away.
    expect(await dml("UPDATE `shop.orders` SET qty = 9 WHERE id = '5'")).toBe('1');
    const refused = await fail(dml("UPDATE `shop.orders` SET qty = 9 WHERE customer = 'ann'"));
    expect(refused).toMatchObject({ code: 400, errors: [{ reason: 'invalidQuery' }] });
    expect(refused!.message).toBe('UPDATE or DELETE statement over table kith-test.shop.orders would affect rows in the streaming buffer, which is not supported');
    expect(await fail(dml("DELETE FROM `shop.orders` WHERE id = '1'"))).toMatchObject({ code: 400 });
    expect(await fail(dml('MERGE `shop.orders` T USING `shop.orders` S ON T.id = S.id WHEN MATCHED THEN DELETE'))).toMatchObject({ message: expect.stringMatching(/streaming buffer/) });
    expect(emu.tableRows('shop', 'orders').map((r) => r.qty)).toEqual([1n, 3n, 2n, 1n, 9n].map(Number));
    emu.advance(30 * 60_000 + 1_000);
    expect(await dml("DELETE FROM `shop.orders` WHERE customer = 'ann'")).toBe('2');
    const [meta] = await bq.dataset('shop').table('orders').getMetadata();
    expect(meta.numRows).toBe('3');
  });
});
