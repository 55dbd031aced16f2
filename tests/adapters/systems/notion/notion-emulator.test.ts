import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NotionEmulator, startNotionEmulator } from '../../../emulators/notion/notion-emulator.js';

/** The emulator answers as Notion does where the SDK would hide it: headers, limits, error bodies. */
describe('Notion emulator: raw HTTP', () => {
  let emu: NotionEmulator;
  let ds: string;
  beforeAll(async () => {
    emu = await startNotionEmulator();
    ds = emu.createDataSource('T', { Name: 'title', N: 'number' });
  });
  afterAll(async () => {
    await emu.stop();
  });
  const call = async (path: string, o: { method?: 'GET' | 'POST' | 'PATCH'; body?: unknown; headers?: Record<string, string> } = {}) => {
    const res = await request(`${emu.url}${path}`, {
      method: o.method ?? 'GET',
      headers: { authorization: `Bearer ${emu.token}`, 'notion-version': '2025-09-03', 'content-type': 'application/json', ...o.headers },
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
    });
    return { status: res.statusCode, headers: res.headers, body: (await res.body.json()) as Record<string, unknown> };
  };

  it('requires Notion-Version and a bearer token, with Notion’s error bodies', async () => {
    emu.setRateLimit(false);
    expect((await call(`/v1/data_sources/${ds}`, { headers: { 'notion-version': '' } })).body).toMatchObject({ object: 'error', status: 400, code: 'missing_version' });
    expect((await call(`/v1/data_sources/${ds}`, { headers: { authorization: 'Bearer nope' } })).body).toMatchObject({ status: 401, code: 'unauthorized' });
    const bad = await call('/v1/pages', { method: 'POST', body: { parent: { data_source_id: ds }, properties: { N: { number: 'ten' } } } });
    expect(bad.body).toMatchObject({ status: 400, code: 'validation_error', message: 'N is expected to be number.' });
    const archived = await call(`/v1/pages/${emu.createPage(ds, {})}`, { method: 'PATCH', body: { archived: true } });
    expect(archived.body).toMatchObject({ code: 'validation_error' });
    const size = await call(`/v1/data_sources/${ds}/query`, { method: 'POST', body: { page_size: 101 } });
    expect(size.body).toMatchObject({ code: 'validation_error' });
  });

  it('enforces its requests a second with 429 rate_limited and Retry-After', async () => {
    emu.setRateLimit(3);
    const answers = await Promise.all(Array.from({ length: 5 }, () => call(`/v1/data_sources/${ds}`)));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(3);
    const limited = answers.filter((a) => a.status === 429);
    expect(limited).toHaveLength(2);
    expect(limited[0]!.body).toMatchObject({ object: 'error', code: 'rate_limited' });
    expect(limited[0]!.headers['retry-after']).toBe('1');
    emu.setRateLimit(false);
  });

  it('filters on last_edited_time as Notion shows it (to the minute), sorts and pages with cursors', async () => {
    const other = emu.createDataSource('U', { Name: 'title' });
    const t0 = Math.floor(emu.clock.now() / 60_000) * 60_000;
    await emu.clock.advance(t0 + 60_000 - emu.clock.now());
    const a = emu.createPage(other, { Name: { title: [{ text: { content: 'a' } }] } });
    await emu.clock.advance(30_000);
    const b = emu.createPage(other, { Name: { title: [{ text: { content: 'b' } }] } });
    expect(emu.page(a).last_edited_time).toBe(emu.page(b).last_edited_time);
    const minute = String(emu.page(a).last_edited_time);
    const after = await call(`/v1/data_sources/${other}/query`, { method: 'POST', body: { filter: { timestamp: 'last_edited_time', last_edited_time: { after: minute } } } });
    expect(after.body.results).toEqual([]);
    const onOrAfter = await call(`/v1/data_sources/${other}/query`, {
      method: 'POST',
      body: { filter: { timestamp: 'last_edited_time', last_edited_time: { on_or_after: minute } }, sorts: [{ timestamp: 'last_edited_time', direction: 'descending' }], page_size: 1 },
    });
    expect((onOrAfter.body.results as { id: string }[]).map((r) => r.id)).toEqual([b]);
    expect(onOrAfter.body).toMatchObject({ has_more: true, next_cursor: a });
    const next = await call(`/v1/data_sources/${other}/query`, { method: 'POST', body: { sorts: [{ timestamp: 'last_edited_time', direction: 'descending' }], start_cursor: a } });
    expect((next.body.results as { id: string }[]).map((r) => r.id)).toEqual([a]);
    emu.trashPage(a);
    const live = await call(`/v1/data_sources/${other}/query`, { method: 'POST', body: {} });
    expect((live.body.results as { id: string }[]).map((r) => r.id)).toEqual([b]);
  });
});
