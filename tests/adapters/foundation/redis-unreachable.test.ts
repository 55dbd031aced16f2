import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRedis } from '../../../src/redis/connection.js';
import { freePort } from '../../../src/redis/free-port.js';
import { RedisUnreachableError } from '../../../src/redis/redis-errors.js';

async function failure(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => expect.fail('the command succeeded'),
    (err: Error) => err,
  );
}

describe('a Redis that cannot be reached', () => {
  it('REDIS_URL to a closed port: the command fails naming host:port and what to check, never the password', async () => {
    const port = await freePort();
    const r = createRedis(`redis://:hunter2-secret@127.0.0.1:${port}/0`, { failFast: true, name: 'unreachable-test' });
    try {
      const err = await failure(r.ping());
      expect(err).toBeInstanceOf(RedisUnreachableError);
      expect(err.message).toContain(`Redis at 127.0.0.1:${port} cannot be reached`);
      expect(err.message).toContain('ECONNREFUSED');
      expect(err.message).toMatch(/check that Redis is running .* REDIS_URL/);
      expect(err.message).not.toContain('hunter2');
      expect(err.message).not.toMatch(/max retries per request/i);
    } finally {
      r.disconnect();
    }
  });

  it('a Unix socket that does not exist: the command names the socket path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kith-no-redis-'));
    const path = join(dir, 'redis.sock');
    const r = createRedis(`unix://${path}`, { failFast: true, name: 'unreachable-socket-test' });
    try {
      const err = await failure(r.get('x'));
      expect(err.message).toContain(`Redis at ${path} cannot be reached`);
      expect(err.message).toContain('ENOENT');
    } finally {
      r.disconnect();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
