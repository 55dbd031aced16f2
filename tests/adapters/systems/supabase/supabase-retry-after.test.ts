import { afterEach, describe, expect, it } from 'vitest';
import { RateLimitedError, TemporaryError } from '../../../../src/errors.js';
import { createSupabaseClient } from '../../../../src/systems/supabase/supabase-client.js';
import { SupabaseContactSystem } from '../../../../src/systems/supabase/supabase-contact-system.js';
import { postgresUrl } from '../../../support/test-env.js';
import { startSupabaseEmulator } from '../../../emulators/supabase/supabase-emulator.js';
import { makeContact } from '../../../support/systems/twenty/contact-fixture.js';

const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function setup() {
  const emu = await startSupabaseEmulator({ postgresUrl: postgresUrl() });
  stops.push(() => emu.stop());
  return { emu, system: new SupabaseContactSystem(createSupabaseClient({ url: emu.url, key: emu.key })) };
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.fail('the call succeeded'),
    (err: unknown) => err,
  );
}

describe("Supabase's Retry-After", () => {
  it('a 429 with Retry-After: 2 is rate-limited for 2 s, then the same write goes through', async () => {
    const { emu, system } = await setup();
    emu.injectFault({ path: '/rest/v1/', status: 429, headers: { 'Retry-After': '2' }, body: { message: 'Too many requests' } });
    const err = await failure(system.upsertMany([makeContact({ n: 1 })]));
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBe(2_000);
    expect((err as Error).message).toMatch(/HTTP 429.*Too many requests.*retry after 2 s/);
    expect((await system.upsertMany([makeContact({ n: 1 })])).map((o) => o.action)).toEqual(['created']);
  });

  it('a 503 with Retry-After as an HTTP date waits until then; a body that is not JSON keeps its text', async () => {
    const { emu, system } = await setup();
    const at = new Date(Date.now() + 30_000).toUTCString();
    emu.injectFault({ path: '/rest/v1/', status: 503, headers: { 'Retry-After': at, 'content-type': 'text/plain' }, body: 'upstream is restarting', times: 10 });
    const err = await failure(system.upsertMany([makeContact({ n: 2 })]));
    expect(err).toBeInstanceOf(RateLimitedError);
    // The date has whole seconds and the request took some time: between 28 and 30 s.
    expect((err as RateLimitedError).retryAfterMs).toBeGreaterThan(28_000);
    expect((err as RateLimitedError).retryAfterMs).toBeLessThanOrEqual(30_000);
    expect((err as Error).message).toContain('upstream is restarting');
  });

  it('is bounded: 0 s waits 1 s and a day waits 10 minutes; a 503 without it stays a temporary error', async () => {
    const { emu, system } = await setup();
    emu.injectFault({ path: '/rest/v1/', status: 429, headers: { 'Retry-After': '0' } });
    expect(((await failure(system.upsertMany([makeContact({ n: 3 })]))) as RateLimitedError).retryAfterMs).toBe(1_000);
    emu.injectFault({ path: '/rest/v1/', status: 429, headers: { 'Retry-After': '86400' } });
    expect(((await failure(system.upsertMany([makeContact({ n: 3 })]))) as RateLimitedError).retryAfterMs).toBe(600_000);
    emu.injectFault({ path: '/rest/v1/', status: 503 });
    const plain = await failure(system.upsertMany([makeContact({ n: 3 })]));
    expect(plain).toBeInstanceOf(TemporaryError);
    expect(plain).not.toBeInstanceOf(RateLimitedError);
  });
});
