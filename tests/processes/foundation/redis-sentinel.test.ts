import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRedisConfig } from '../../../src/config/redis.config.js';
import { sentinelTarget } from '../../../src/redis/connection.js';
import { type HubEnv, spawnWorker, startHubEnv, until } from '../../support/hub/hub-kit.js';
import { type SentinelSetup, startRedisSentinel } from '../../support/redis-sentinel.js';

describe('REDIS_URL naming Redis Sentinels', () => {
  it('reads the Sentinels, the master name, the credentials and the database', () => {
    expect(sentinelTarget('redis-sentinel://:p%40ss@10.0.0.1:26379,10.0.0.2/mymaster?db=2')).toEqual({
      sentinels: [{ host: '10.0.0.1', port: 26379 }, { host: '10.0.0.2', port: 26379 }],
      name: 'mymaster',
      password: 'p@ss',
      db: 2,
    });
    expect(sentinelTarget('rediss-sentinel://s1:26380/m')).toMatchObject({ name: 'm', tls: {} });
    expect(loadRedisConfig({ REDIS_URL: 'redis-sentinel://s1:26379,s2:26379/kith' }).url).toBe('redis-sentinel://s1:26379,s2:26379/kith');
    for (const bad of ['redis-sentinel://s1:26379', 'redis-sentinel://s1:26379/', 'redis-sentinel://s1:26379/m?db=x', 'redis-sentinel://s1:99999/m']) {
      expect(() => loadRedisConfig({ REDIS_URL: bad }), bad).toThrow(/^REDIS_URL: a Sentinel URL is redis-sentinel:\/\//);
    }
  });
});

/**
 * The contact hub on a master watched by three Sentinels: the master is SIGKILLed with changes
 * queued, the Sentinels promote its replica, and every change is delivered.
 */
describe('Redis Sentinel failover', () => {
  let s: SentinelSetup;
  let h: HubEnv;
  beforeAll(async () => {
    s = await startRedisSentinel();
    h = await startHubEnv({ redisUrl: s.url, extraEnv: { KITH_JOB_LOCK_MS: '5000' } });
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    await s?.stop();
  });

  const sbRow = async (contactId: string) => (await h.supabase.sql<Record<string, unknown>>('SELECT * FROM contacts WHERE contact_id = $1', [contactId]))[0];
  const localRow = (contactId: string) => h.db.db.get<Record<string, unknown>>('SELECT * FROM contacts WHERE contact_id = ?', [contactId]);

  it("a SIGKILLed master's replica is promoted and every queued change is delivered", async () => {
    const first = h.twenty.createPerson({ name: { firstName: 'Ada', lastName: 'Lovelace' }, emails: { primaryEmail: 'ada@example.org', additionalEmails: [] }, jobTitle: 'Analyst' }).id as string;
    await until(async () => (await sbRow(first))?.job_title === 'Analyst' && (await localRow(first))?.job_title === 'Analyst', 'the first change to fan out');
    await h.settle();

    await Promise.all(h.workers.map((w) => w.stop()));
    h.workers.length = 0;
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      ids.push(h.twenty.createPerson({ name: { firstName: `Queued${i}`, lastName: 'Person' }, emails: { primaryEmail: `queued${i}@example.org`, additionalEmails: [] }, jobTitle: `Role ${i}` }).id as string);
    }
    await h.twenty.flushWebhooks();
    await until(async () => (await h.queue('contacts-inbound').getJobCounts('waiting')).waiting === ids.length && true, 'every change to be queued');

    const master = await s.master();
    expect(Number(await s.command(master, 'WAIT', 1, 5000))).toBe(1); // the replica has the queued jobs
    await s.kill(master);
    h.workers.push(await spawnWorker(h.env));
    await until(async () => (await s.master()) !== master, 'the Sentinels to promote the replica', 30_000);

    for (const [i, id] of ids.entries()) {
      await until(async () => (await sbRow(id))?.job_title === `Role ${i}` && (await localRow(id))?.job_title === `Role ${i}`, `${id} to reach Supabase and the local DB`, 60_000);
    }
    await h.settle(30_000);
    expect(await h.queue('contacts-inbound').getJobCounts('failed', 'waiting', 'active', 'delayed')).toEqual({ failed: 0, waiting: 0, active: 0, delayed: 0 });
  }, 150_000);
});
