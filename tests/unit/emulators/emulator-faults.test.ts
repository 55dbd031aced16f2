import { afterEach, describe, expect, it, vi } from 'vitest';
import { FaultList } from '../../emulators/emulator-faults.js';

/** The faults tests inject into the loopback emulators: a counted fault, and a storm up to a time. */
describe('FaultList', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a fault without `until` hits the next matching request once, or `times` requests', () => {
    const f = new FaultList();
    f.add({ path: '/rest/people', status: 500 });
    f.add({ method: 'PATCH', status: 503, times: 2 });
    expect(f.take('GET', '/rest/companies')).toBeUndefined();
    expect(f.take('GET', '/rest/people/1')?.status).toBe(500);
    expect(f.take('GET', '/rest/people/1')).toBeUndefined();
    expect(f.take('PATCH', '/rest/people/1')?.status).toBe(503);
    expect(f.take('PATCH', '/rest/people/1')?.status).toBe(503);
    expect(f.take('PATCH', '/rest/people/1')).toBeUndefined();
  });

  it('a fault with `until` hits every matching request up to that time, then the next fault takes over, then none', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const f = new FaultList();
    f.add({ path: '/rest/', status: 500, until: 1_005_000 });
    f.add({ path: '/rest/', status: 429, headers: { 'retry-after': '2' }, until: 1_010_000 });
    for (let i = 0; i < 50; i++) expect(f.take('POST', '/rest/v1/rpc/kith_push_contacts')?.status).toBe(500);
    vi.setSystemTime(1_005_000);
    const storm = f.take('GET', '/rest/people');
    expect(storm).toMatchObject({ status: 429, headers: { 'retry-after': '2' } });
    vi.setSystemTime(1_009_999);
    expect(f.take('GET', '/rest/people')?.status).toBe(429);
    vi.setSystemTime(1_010_000);
    expect(f.take('GET', '/rest/people')).toBeUndefined();
  });
});
