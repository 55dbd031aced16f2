import type { EventEmitter } from 'node:events';
import { FlowProducer, Queue, type FlowProducerOptions, QueueEvents, type QueueEventsOptions, type QueueOptions } from 'bullmq';
import { Cluster, type Redis, type RedisOptions } from 'ioredis';
import { createLogger, type Logger } from '../log/logger.js';
import { redisAddress } from './redis-errors.js';

/**
 * Every BullMQ Queue, FlowProducer and QueueEvents Kith creates is made here, so each has an
 * `error` listener. Without one, a Redis outage makes BullMQ print the connection's error with
 * its stack at every reconnect attempt (a Queue), or throw it as an unhandled 'error' event.
 *
 * The listener logs one line per connection and outage: the first object on a connection to
 * see the outage says so, naming the address; nothing more is logged until the connection is
 * ready again. The objects themselves reconnect with their connection.
 */

/** Connections in an outage that has been reported (cleared when the connection is ready again). */
const reported = new WeakSet<object>();
/** Objects without a connection instance of their own to watch: one line each per outage. */
let fallbackLog: Logger | undefined;

function address(connection: unknown): string {
  if (connection instanceof Cluster) {
    const nodes = connection.nodes('all').map((n) => `${n.options.host ?? '127.0.0.1'}:${n.options.port ?? 6379}`);
    return nodes.length ? `the cluster of ${nodes.join(',')}` : 'the Redis Cluster REDIS_URL names';
  }
  if (connection && typeof connection === 'object' && 'options' in connection) return redisAddress((connection as Redis).options);
  if (connection && typeof connection === 'object') return redisAddress(connection as RedisOptions);
  return 'the configured Redis';
}

/** An error that says the connection is down (as opposed to, say, a failing script). */
const CONNECTION_ERROR = /ECONNREFUSED|ECONNRESET|ENOENT|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|Connection is closed|connect|unreachable/i;

/** Give `obj` its error listener: one log line per outage of `connection`, any other error logged as it comes. Returns `obj`. */
export function watchRedisErrors<T extends EventEmitter>(obj: T, what: string, connection: unknown, log?: Logger): T {
  // An ioredis client is an event emitter by mixin (not an instance of EventEmitter): it says when it is ready again.
  const shared = connection && typeof connection === 'object' && typeof (connection as EventEmitter).once === 'function' ? (connection as EventEmitter) : undefined;
  const key: object = shared ?? obj;
  obj.on('error', (err: Error) => {
    const logger = log ?? (fallbackLog ??= createLogger());
    if (!CONNECTION_ERROR.test(`${err?.message} ${(err as { code?: string })?.code ?? ''}`)) {
      logger.warn({ err: err?.message }, `${what}: ${err?.message ?? 'error'}`);
      return;
    }
    if (reported.has(key)) return;
    reported.add(key);
    if (shared) shared.once('ready', () => reported.delete(key));
    else setTimeout(() => reported.delete(key), 60_000).unref();
    logger.warn({ redis: address(connection), err: err?.message }, `${what}: Redis at ${address(connection)} is unreachable (${err?.message ?? 'no reason given'}); retrying until it is back`);
  });
  return obj;
}

/** A Queue producer with its error listener. */
export function openQueue(name: string, opts: QueueOptions, log?: Logger): Queue {
  return watchRedisErrors(new Queue(name, opts), `queue ${name}`, opts.connection, log);
}

/** A FlowProducer with its error listener. */
export function openFlowProducer(opts: FlowProducerOptions, log?: Logger): FlowProducer {
  return watchRedisErrors(new FlowProducer(opts), 'flow producer', opts.connection, log);
}

/** A QueueEvents listener with its error listener. */
export function openQueueEvents(name: string, opts: QueueEventsOptions, log?: Logger): QueueEvents {
  return watchRedisErrors(new QueueEvents(name, opts), `queue events ${name}`, opts.connection, log);
}
