import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TemporaryError } from '../../../src/errors.js';
import { createRedis, type RedisClient } from '../../../src/redis/connection.js';
import { SharedRequestLimiter } from '../../../src/systems/limits/shared-request-limiter.js';
import { SlackClient } from '../../../src/systems/slack/slack-client.js';
import { methodLimit, type SlackMethod, slackLimiterKey } from '../../../src/systems/slack/slack-tiers.js';
import { type SlackEmulator, startSlackEmulator } from '../../emulators/slack/slack-emulator.js';
import { cleanupRedis, redisUrl, uniquePrefix } from '../../support/test-env.js';

const WINDOW_MS = 500;

/** Two processes' worth of Slack clients: each its own Redis connection and limiters, one workspace's keys. */
describe("the Slack client under the workspace's tiers, shared through Redis", () => {
  let prefix: string;
  let em: SlackEmulator;
  const conns: RedisClient[] = [];
  beforeAll(() => {
    prefix = uniquePrefix();
    for (let i = 0; i < 2; i++) conns.push(createRedis(redisUrl(), { name: `${prefix}:slack-${i}` }));
  });
  afterAll(async () => {
    for (const c of conns) await c.quit();
    await cleanupRedis(prefix);
  });
  beforeEach(async () => {
    em = await startSlackEmulator({ windowMs: WINDOW_MS, selfUser: 'U1' });
    em.addUser({ id: 'U1', name: 'me' });
  });
  afterEach(() => em.close());

  const client = (conn: RedisClient, ns: string, extra: Partial<ConstructorParameters<typeof SlackClient>[0]> = {}) =>
    new SlackClient({
      baseUrl: em.url,
      token: em.token,
      backoffMs: 10,
      limiter: (method: SlackMethod) =>
        new SharedRequestLimiter({ limit: methodLimit(method, 'internal').perWindow, windowMs: WINDOW_MS, redis: () => conn, key: slackLimiterKey(`${prefix}:${ns}`, 'T0EXAMPLE', method), requestTimeoutMs: 5000, pauseWaitMs: 5000 }),
      ...extra,
    });

  it('two processes together keep users.list at Tier 2: every call answered, none rate limited', async () => {
    const [a, b] = conns.map((c) => client(c, 'tier2'));
    const calls = [a!, b!].flatMap((c) => Array.from({ length: 25 }, () => c.call<{ ok: boolean }>('users.list', { limit: 10 })));
    const answers = await Promise.all(calls);
    expect(answers.every((r) => r.ok)).toBe(true);
    expect(em.stats.requests['users.list']).toBe(50);
    expect(em.stats.rateLimited).toBe(0);
    expect(em.stats.maxInWindow['users.list']).toBeLessThanOrEqual(20);
  });

  it('a 429 holds both processes back for its Retry-After and is sent again without spending an attempt', async () => {
    const [a, b] = conns.map((c) => client(c, 'pause', { maxRetries: 1 }));
    em.fault({ path: '/api/auth.test', status: 429, headers: { 'retry-after': '1' }, body: { ok: false, error: 'ratelimited' } });
    const arrivals: number[] = [];
    em.hooks.onRequest = () => arrivals.push(performance.now());
    const first = a!.call<{ ok: boolean }>('auth.test', {});
    // Once the 429 has paused the method's budget in Redis, the other process asks too.
    const pauseKey = `${slackLimiterKey(`${prefix}:pause`, 'T0EXAMPLE', 'auth.test')}:pause`;
    const deadline = Date.now() + 5000;
    let left = 0;
    let asked = 0;
    while (((asked = performance.now()), (left = await conns[1]!.pttl(pauseKey))) <= 0) {
      if (Date.now() > deadline) throw new Error('the 429 did not pause the budget');
      await new Promise((r) => setTimeout(r, 5));
    }
    const pauseEnds = asked + left; // Redis answered after `asked`: the pause ends no earlier
    const second = b!.call<{ ok: boolean }>('auth.test', {});
    expect((await first).ok).toBe(true);
    expect((await second).ok).toBe(true);
    expect(arrivals).toHaveLength(2);
    expect(left).toBeLessThanOrEqual(1000);
    // Neither is sent before the pause (the Retry-After's second) ends.
    for (const t of arrivals) expect(t).toBeGreaterThanOrEqual(pauseEnds);
  });

  it('429s do not count against the attempts; a 5xx burst longer than them fails as temporary', async () => {
    const c = client(conns[0]!, 'attempts', { maxRetries: 2 });
    em.fault({ path: '/api/auth.test', status: 429, headers: { 'retry-after': '0' }, body: { ok: false, error: 'ratelimited' }, times: 4 });
    em.fault({ path: '/api/auth.test', status: 503, times: 2 });
    expect((await c.call<{ user_id: string }>('auth.test', {})).user_id).toBe('U1');
    em.fault({ path: '/api/auth.test', status: 500, times: 3 });
    await expect(c.call('auth.test', {})).rejects.toBeInstanceOf(TemporaryError);
  });
});
