import type { Redis, RedisOptions } from 'ioredis';
import { TemporaryError } from '../errors.js';

/** Where a connection points, for messages: `host:port` or the socket's path; never a user or password. */
export function redisAddress(target: string | RedisOptions): string {
  if (typeof target !== 'string') {
    if (target.sentinels?.length) return `the master '${target.name ?? ''}' of Sentinels ${target.sentinels.map((s) => `${s.host ?? '127.0.0.1'}:${s.port ?? 26379}`).join(',')}`;
    return target.path ?? `${target.host ?? '127.0.0.1'}:${target.port ?? 6379}`;
  }
  try {
    const u = new URL(target);
    return `${u.hostname || '127.0.0.1'}:${u.port || 6379}`;
  } catch {
    return '(an unreadable Redis URL)';
  }
}

/** The address an ioredis client is connected to (or trying to reach). */
export function clientAddress(client: Redis): string {
  return redisAddress(client.options);
}

/** A command given up on because Redis cannot be reached: names where, why, and what to check. */
export class RedisUnreachableError extends TemporaryError {
  override name = 'RedisUnreachableError';
  constructor(
    readonly address: string,
    reason: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      `Redis at ${address} cannot be reached${reason ? ` (${reason})` : ''}: check that Redis is running and accepts connections there, and that REDIS_URL names it`,
      'redis_unreachable',
      options,
    );
  }
}

/**
 * ioredis fails a command it could not send with "Reached the max retries per request limit",
 * which names neither the server nor the cause: such a failure becomes a RedisUnreachableError
 * naming the address and the last connection error. Other errors pass unchanged.
 */
export function explainUnreachable(client: Redis, address: string): void {
  let lastError: Error | undefined;
  client.on('error', (err: Error) => (lastError = err));
  client.on('ready', () => (lastError = undefined));
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((command: Parameters<Redis['sendCommand']>[0], stream?: Parameters<Redis['sendCommand']>[1]) => {
    const reject = command.reject;
    command.reject = (err: Error) => reject(err?.name === 'MaxRetriesPerRequestError' ? new RedisUnreachableError(address, lastError?.message, { cause: err }) : err);
    return send(command, stream);
  }) as Redis['sendCommand'];
}
