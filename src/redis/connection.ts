import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../log/logger.js';
import { handleClosed, handleOpened } from '../support/open-handles.js';
import { explainUnreachable, redisAddress } from './redis-errors.js';

/** A connection Kith uses: one server, or a Redis Cluster (`redis-cluster://` URLs). */
export type RedisClient = Redis | Cluster;

/** The nodes and credentials a `redis-cluster://` or `rediss-cluster://` URL names. */
export interface ClusterTarget {
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
  tls: boolean;
}

const CLUSTER_SCHEME = /^(rediss?)-cluster:\/\//;
const SENTINEL_SCHEME = /^(rediss?)-sentinel:\/\//;

/** Whether `url` names Redis Cluster nodes rather than one server. */
export const isClusterUrl = (url: string): boolean => CLUSTER_SCHEME.test(url);

/** Whether `url` names Redis Sentinels watching a master. */
export const isSentinelUrl = (url: string): boolean => SENTINEL_SCHEME.test(url);

/** `[[user]:password@]host1:port1,host2:port2,…[/rest]`, the part after a node-list scheme. */
function nodeList(url: string, schemeLength: number, defaultPort: number, allowPath: boolean): { nodes: { host: string; port: number }[]; username?: string; password?: string; path: string } {
  let rest = url.slice(schemeLength);
  let username: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const auth = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = auth.indexOf(':');
    const user = decodeURIComponent(colon >= 0 ? auth.slice(0, colon) : auth);
    if (colon >= 0) password = decodeURIComponent(auth.slice(colon + 1));
    if (user) username = user;
  }
  const slash = rest.indexOf('/');
  const path = slash >= 0 ? rest.slice(slash + 1) : '';
  if (slash >= 0) rest = rest.slice(0, slash);
  if (/[?#]/.test(rest) || (!allowPath && path)) throw new Error(`Redis URL ${redactUrl(url)}: a cluster URL names nodes only (host:port,host:port), no path, database or query`);
  const nodes = rest.split(',').map((n) => {
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d+))?$/.exec(n.trim());
    const port = m?.[2] === undefined ? defaultPort : Number(m[2]);
    if (!m || port < 1 || port > 65535) throw new Error(`Redis URL ${redactUrl(url)}: '${n}' is not host:port`);
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
  });
  return { nodes, ...(username ? { username } : {}), ...(password !== undefined ? { password } : {}), path };
}

/**
 * `redis-cluster://[[user]:password@]host1:port1,host2:port2,…` (`rediss-cluster://` for TLS):
 * the seed nodes of a Redis Cluster; the client learns the others from them. A node without a
 * port is on 6379. The password is percent-decoded, as in a `redis://` URL.
 */
export function clusterTarget(url: string): ClusterTarget {
  const scheme = CLUSTER_SCHEME.exec(url);
  if (!scheme) throw new Error(`Redis URL ${redactUrl(url)}: a cluster URL starts with redis-cluster:// or rediss-cluster://`);
  const { path: _path, ...t } = nodeList(url.replace(/\/$/, ''), scheme[0].length, 6379, false);
  return { ...t, tls: scheme[1] === 'rediss' };
}

/**
 * `redis-sentinel://[[user]:password@]host1:26379,host2:26379/<master name>[?db=N]`
 * (`rediss-sentinel://` for TLS to the data nodes): the Sentinels that watch a master; the
 * client asks them where the master is, and again after a failover. The credentials are the
 * master's (Sentinels without a password, as Redis ships them). A Sentinel without a port is on 26379.
 */
export function sentinelTarget(url: string): RedisOptions {
  const scheme = SENTINEL_SCHEME.exec(url);
  if (!scheme) throw new Error(`Redis URL ${redactUrl(url)}: a Sentinel URL starts with redis-sentinel:// or rediss-sentinel://`);
  const q = url.indexOf('?');
  const query = new URLSearchParams(q >= 0 ? url.slice(q + 1) : '');
  const t = nodeList(q >= 0 ? url.slice(0, q) : url, scheme[0].length, 26379, true);
  const name = decodeURIComponent(t.path.replace(/\/$/, ''));
  if (!name || name.includes('/')) throw new Error(`Redis URL ${redactUrl(url)}: name the master after the Sentinels, redis-sentinel://host:26379/mymaster`);
  const db = query.get('db');
  if (db !== null && !/^\d+$/.test(db)) throw new Error(`Redis URL ${redactUrl(url)}: db must be a number`);
  return {
    sentinels: t.nodes,
    name,
    ...(t.username ? { username: t.username } : {}),
    ...(t.password !== undefined ? { password: t.password } : {}),
    ...(scheme[1] === 'rediss' ? { tls: {} } : {}),
    ...(db !== null ? { db: Number(db) } : {}),
  };
}

/** `url` with its password replaced by `***`, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z-]+:\/\/[^:@/]*:)[^@]*@/i, '$1***@');
}

/**
 * Where a Redis URL points, as ioredis options: `redis://` and `rediss://` as ioredis reads them,
 * `redis-sentinel://…/<master>` (sentinelTarget) for a master found through Sentinels, and `unix:///path/to/redis.sock[?db=N]` for a server on this host's Unix socket (the embedded
 * server's default: a round trip costs about a fifth less CPU than over loopback TCP).
 */
export function redisTarget(url: string): string | RedisOptions {
  if (isClusterUrl(url)) throw new Error(`Redis URL ${redactUrl(url)} names a cluster: connect with createRedis`);
  if (isSentinelUrl(url)) return sentinelTarget(url);
  if (!url.startsWith('unix:')) return url;
  const u = new URL(url);
  const path = decodeURIComponent(u.pathname);
  if (u.host || !path.startsWith('/')) throw new Error(`Redis URL ${url}: a Unix socket URL is unix:///absolute/path/to/redis.sock`);
  const db = u.searchParams.get('db');
  if (db !== null && !/^\d+$/.test(db)) throw new Error(`Redis URL ${url}: db must be a number`);
  return { path, ...(db !== null ? { db: Number(db) } : {}) };
}

/** Whether redisTarget (or clusterTarget, for a cluster URL) accepts `url` (configuration checks it before anything connects). */
export function readsAsRedisTarget(url: string): boolean {
  try {
    if (isClusterUrl(url)) clusterTarget(url);
    else redisTarget(url);
    return true;
  } catch {
    return false;
  }
}

/** Records the client as an open handle until it is closed for good. */
function tracked<C extends RedisClient>(r: C, name: string | undefined): C {
  // 'end': closed for good (quit, disconnect, or no retry left); a reconnecting client is still open.
  const h = handleOpened('redis client', name ?? '(unnamed)');
  r.once('end', () => handleClosed(h));
  // Disconnected while waiting to reconnect, a client has no socket left to emit 'end': it is closed now.
  const disconnect = r.disconnect.bind(r);
  r.disconnect = (reconnect = false) => {
    const waiting = r.status === 'reconnecting';
    disconnect(reconnect);
    if (waiting && !reconnect) handleClosed(h);
  };
  return r;
}

/** An ioredis client for one server at `url` (any form redisTarget reads) with extra options; a command that cannot reach the server fails naming its address. */
export function connectRedis(url: string, options: RedisOptions): Redis {
  const target = redisTarget(url);
  const r = typeof target === 'string' ? new Redis(target, options) : new Redis({ ...options, ...target });
  explainUnreachable(r, redisAddress(target));
  return tracked(r, options.connectionName);
}

/**
 * An ioredis Cluster client for the nodes a cluster URL names; `options` apply to each node's
 * connection. During a failover a command is retried every 300 ms, up to 40 times (12 s): long
 * enough for a replica to be promoted with a `cluster-node-timeout` of a few seconds.
 */
export function connectCluster(url: string, options: RedisOptions, clusterOptions: ClusterOptions = {}): Cluster {
  const t = clusterTarget(url);
  const c = new Cluster(t.nodes, {
    retryDelayOnFailover: 300,
    retryDelayOnClusterDown: 300,
    retryDelayOnTryAgain: 300,
    maxRedirections: 40,
    ...clusterOptions,
    redisOptions: {
      ...options,
      ...(t.username ? { username: t.username } : {}),
      ...(t.password !== undefined ? { password: t.password } : {}),
      ...(t.tls ? { tls: {} } : {}),
    },
  });
  return tracked(c, options.connectionName);
}

/**
 * A connection for BullMQ and Kith's own keys: a Cluster client for a cluster URL, else one
 * server's. Workers and QueueEvents block, so retries per request must be unlimited
 * (`maxRetriesPerRequest: null`); producers use `failFast` to surface an outage.
 */
export function createRedis(url: string, opts: { failFast?: boolean; name?: string } = {}): RedisClient {
  const retryStrategy = (times: number) => Math.min(times * 200, 2000);
  const options: RedisOptions = { maxRetriesPerRequest: opts.failFast ? 1 : null, connectionName: opts.name };
  const r = isClusterUrl(url) ? failFastCluster(connectCluster(url, options, { clusterRetryStrategy: retryStrategy }), Boolean(opts.failFast)) : connectRedis(url, { ...options, retryStrategy });
  r.on('error', () => undefined); // reported through health checks and failing calls, not as crashes
  return r;
}

/**
 * A cluster client's commands wait in its offline queue while no node answers, whatever
 * `maxRetriesPerRequest` says. A fail-fast one gives up connecting after 3 attempts (about a
 * second) when it never reached the cluster, and once connected stops queueing: while the
 * whole cluster is unreachable its commands fail at once. A failover keeps the client
 * connected to the other nodes, so its commands are retried as usual (connectCluster).
 */
function failFastCluster(c: Cluster, failFast: boolean): Cluster {
  if (!failFast) return c;
  let connected = false;
  const reconnect = c.options.clusterRetryStrategy;
  c.options.clusterRetryStrategy = (times, reason) => (!connected && times > 3 ? null : (reconnect?.call(c, times, reason) ?? null));
  c.once('ready', () => {
    connected = true;
    c.options.enableOfflineQueue = false;
  });
  return c;
}

/**
 * BullMQ needs `noeviction`: with any other policy Redis may silently delete queue keys under
 * memory pressure. Managed services may forbid CONFIG; then we cannot tell and say so. On a
 * cluster this reads the node the command reaches (every node should be configured alike).
 */
export async function checkEvictionPolicy(redis: RedisClient, log: Logger): Promise<string | undefined> {
  try {
    const res = (await redis.config('GET', 'maxmemory-policy')) as string[];
    const policy = res[1];
    if (policy && policy !== 'noeviction') {
      log.warn(
        `!!! Redis maxmemory-policy is '${policy}', not 'noeviction': Redis may evict queue keys and lose jobs. ` +
          `Set 'maxmemory-policy noeviction' (see redis/redis.conf).`,
      );
    }
    return policy;
  } catch {
    log.warn('could not read Redis maxmemory-policy (CONFIG is disabled?): make sure it is noeviction');
    return undefined;
  }
}
