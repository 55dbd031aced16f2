import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadRedisConfig } from '../../../src/config/redis.config.js';
import { clusterTarget, createRedis, isClusterUrl } from '../../../src/redis/connection.js';
import { freePort } from '../../../src/redis/free-port.js';
import { runKith } from '../../support/cli.js';
import { type HubEnv, spawnWorker, startHubEnv, until } from '../../support/hub/hub-kit.js';
import { type RedisClusterHandle, startRedisCluster } from '../../support/redis-cluster.js';
import { uniquePrefix } from '../../support/test-env.js';

const root = resolve(import.meta.dirname, '../../..');

interface Report {
  status: string;
  people: number;
  interactions: number;
  relationships: number;
  steps: { id: string; status: string }[];
}

describe('REDIS_URL naming Redis Cluster nodes', () => {
  it('reads the seed nodes, the credentials and TLS from redis-cluster:// and rediss-cluster:// URLs', () => {
    expect(clusterTarget('redis-cluster://10.0.0.1:7000,10.0.0.2:7001,redis-c:7002')).toEqual({
      nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7001 }, { host: 'redis-c', port: 7002 }],
      tls: false,
    });
    expect(clusterTarget('rediss-cluster://:p%40ss@h1:7000,[::1]:7001,h3')).toEqual({
      nodes: [{ host: 'h1', port: 7000 }, { host: '::1', port: 7001 }, { host: 'h3', port: 6379 }],
      password: 'p@ss',
      tls: true,
    });
    expect(clusterTarget('redis-cluster://kith:secret@h1:7000/')).toMatchObject({ username: 'kith', password: 'secret' });
    expect(isClusterUrl('redis://h1:7000')).toBe(false);
  });

  it('configuration accepts a cluster URL and refuses a malformed one without showing it', () => {
    expect(loadRedisConfig({ REDIS_URL: 'redis-cluster://:pw@h1:7000,h2:7001' })).toEqual({ url: 'redis-cluster://:pw@h1:7000,h2:7001', prefix: '{kith}' });
    for (const bad of ['redis-cluster://h1:70000', 'redis-cluster://h1:7000/2', 'redis-cluster://h1:7000,,h2:7001', 'redis-cluster://:pw@']) {
      expect(() => loadRedisConfig({ REDIS_URL: bad }), bad).toThrow(/^REDIS_URL: a cluster URL is redis-cluster:\/\/.*\(got a value that is not valid\)$/);
    }
  });

  it('a queue prefix that is not a hash tag is refused: on a cluster its queues would span slots', () => {
    expect(() => loadRedisConfig({ REDIS_URL: 'redis-cluster://h1:7000', KITH_QUEUE_PREFIX: 'kith' })).toThrow(ConfigError);
    expect(() => loadRedisConfig({ REDIS_URL: 'redis-cluster://h1:7000', KITH_QUEUE_PREFIX: 'kith{a}' })).toThrow(/^KITH_QUEUE_PREFIX: must be a Redis Cluster hash tag/);
  });

  it('a fail-fast client (the start-up probe, the HTTP server) gives up on unreachable nodes within seconds instead of queueing forever', async () => {
    const r = createRedis(`redis-cluster://127.0.0.1:${await freePort()},127.0.0.1:${await freePort()}`, { failFast: true });
    const t = Date.now();
    try {
      await expect(r.ping()).rejects.toThrow(/None of startup nodes is available/);
      expect(Date.now() - t).toBeLessThan(5000);
    } finally {
      r.disconnect();
    }
  });
});

/**
 * Kith on a real Redis Cluster: three masters with one replica each on loopback ports,
 * `cluster-node-timeout` 2 s. REDIS_URL names the nodes (`redis-cluster://…`); every queue and
 * every key Kith keeps itself carries the prefix's hash tag, so they share one slot.
 */
describe('Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  const syncPrefix = uniquePrefix();
  beforeAll(async () => {
    cluster = await startRedisCluster({ nodeTimeoutMs: 2000 });
  }, 40_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('a sync run over the bundled examples completes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kith-cluster-sync-'));
    try {
      cpSync(join(root, 'examples'), join(dir, 'examples'), { recursive: true });
      const env = { KITH_CONFIG: join(dir, 'examples/kith.config.yaml'), KITH_DATA_DIR: join(dir, 'data'), REDIS_URL: cluster.url, KITH_QUEUE_PREFIX: syncPrefix };
      const r = await runKith(['sync', '--json'], env, 120_000);
      expect(r.stderr).not.toMatch(/Error:|CROSSSLOT|at .*\.ts:\d+/);
      const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as Report;
      expect(report.steps.filter((s) => s.status !== 'succeeded')).toEqual([]);
      expect({ status: report.status, code: r.code }).toEqual({ status: 'succeeded', code: 0 });
      expect({ people: report.people, interactions: report.interactions, relationships: report.relationships }).toEqual({ people: 15, interactions: 71, relationships: 10 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);

  describe('the contact hub', () => {
    let h: HubEnv;
    let killed = 0;
    beforeAll(async () => {
      // A job whose lock was lost with a master is taken again within seconds.
      h = await startHubEnv({ redisUrl: cluster.url, extraEnv: { KITH_JOB_LOCK_MS: '5000' } });
    }, 40_000);
    afterAll(async () => {
      await h?.stop();
    });

    const sbRow = async (contactId: string) => (await h.supabase.sql<Record<string, unknown>>('SELECT * FROM contacts WHERE contact_id = $1', [contactId]))[0];
    const localRow = (contactId: string) => h.db.db.get<Record<string, unknown>>('SELECT * FROM contacts WHERE contact_id = ?', [contactId]);

    it('fans a change out to every target', async () => {
      const person = h.twenty.createPerson({ name: { firstName: 'Ada', lastName: 'Lovelace' }, emails: { primaryEmail: 'ada@example.org', additionalEmails: [] }, jobTitle: 'Analyst' });
      const id = person.id as string;
      await until(async () => (await sbRow(id))?.job_title === 'Analyst', 'the change to reach Supabase');
      await until(async () => (await localRow(id))?.job_title === 'Analyst', 'the change to reach the local DB');
      expect((await h.hub.systems.canonical.get(id))?.job_title).toBe('Analyst');
      await h.settle();
    }, 40_000);

    it("every key Kith wrote carries its prefix's hash tag, so all of them live in one slot", async () => {
      // Job metrics reach Redis within a second of a job.
      const keys = await until(async () => {
        const all = await cluster.allKeys();
        return all.some((k) => k.startsWith(`${h.prefix}:kith:job-metrics`)) && all;
      }, 'job metrics to be written');
      expect(keys.filter((k) => !k.startsWith(h.prefix) && !k.startsWith(syncPrefix))).toEqual([]);
      expect(keys.some((k) => k.startsWith(`${syncPrefix}:kith:sync-run-lock`) || k.startsWith(`${syncPrefix}:sync-run:`))).toBe(true); // the sync run's
      expect(keys.some((k) => k.startsWith(`${h.prefix}:hub:echo:`))).toBe(true); // Kith's own keys, not only BullMQ's
      const slot = async (k: string) => Number(await cluster.command(cluster.nodes[0]!.port, 'CLUSTER', 'KEYSLOT', k));
      const slots = new Set(await Promise.all(keys.map(slot)));
      expect(slots).toEqual(new Set([await slot(h.prefix), await slot(syncPrefix)]));
    });

    it("a SIGKILLed master's replica takes over and every queued change is delivered", async () => {
      // Changes queue up while no worker serves them.
      await Promise.all(h.workers.map((w) => w.stop()));
      h.workers.length = 0;
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) {
        ids.push(h.twenty.createPerson({ name: { firstName: `Queued${i}`, lastName: 'Person' }, emails: { primaryEmail: `queued${i}@example.org`, additionalEmails: [] }, jobTitle: `Role ${i}` }).id as string);
      }
      await h.twenty.flushWebhooks();
      const inbound = h.queue('contacts-inbound');
      await until(async () => (await inbound.getJobCounts('waiting')).waiting === ids.length && true, 'every change to be queued');

      const master = await cluster.masterFor(h.prefix);
      // Redis replicates asynchronously: a write the replica has not received is lost with its
      // master. WAIT makes sure the queued jobs reached the replica, as an acknowledged write
      // would have had it been issued with WAIT.
      expect(Number(await cluster.command(master, 'WAIT', 1, 5000))).toBe(1);
      await cluster.kill(master);
      // A worker started now, and the test process's own clients, find the promoted replica.
      h.workers.push(await spawnWorker(h.env));
      await cluster.waitHealthy(30_000);
      expect(await cluster.masterFor(h.prefix)).not.toBe(master);

      for (const id of ids) {
        await until(async () => (await sbRow(id))?.job_title !== undefined && (await localRow(id))?.job_title !== undefined, `${id} to reach Supabase and the local DB`, 60_000);
      }
      await h.settle(30_000);
      const counts = await inbound.getJobCounts('failed', 'waiting', 'active', 'delayed');
      expect(counts).toEqual({ failed: 0, waiting: 0, active: 0, delayed: 0 });
      for (const [i, id] of ids.entries()) expect((await localRow(id))?.job_title).toBe(`Role ${i}`);
      killed = master;
    }, 120_000);

    it('a worker taking jobs while its master dies follows the failover, and no change is lost', async () => {
      // The master killed above comes back as the replica of the node that took over.
      await cluster.restart(killed, 30_000);
      expect(h.workers).toHaveLength(1);
      // Supabase fails some writes, so retries wait in Redis (delayed) when the master dies.
      h.supabase.injectFault({ status: 503, times: 10 });
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) {
        ids.push(h.twenty.createPerson({ name: { firstName: `Live${i}`, lastName: 'Person' }, emails: { primaryEmail: `live${i}@example.org`, additionalEmails: [] }, jobTitle: `Live role ${i}` }).id as string);
      }
      await h.twenty.flushWebhooks();
      const master = await cluster.masterFor(h.prefix);
      expect(Number(await cluster.command(master, 'WAIT', 1, 5000))).toBe(1);
      await cluster.kill(master);
      await cluster.waitHealthy(30_000);

      for (const [i, id] of ids.entries()) {
        await until(async () => (await sbRow(id))?.job_title === `Live role ${i}` && (await localRow(id))?.job_title === `Live role ${i}`, `${id} to reach Supabase and the local DB`, 90_000);
      }
      await h.settle(30_000);
      for (const name of ['contacts-inbound', 'contacts-to-supabase', 'contacts-to-local']) {
        expect(await h.queue(name).getJobCounts('failed'), name).toEqual({ failed: 0 });
      }
      expect(h.workers[0]!.child.exitCode).toBeNull(); // the worker rode the failover out
    }, 180_000);
  });
});
