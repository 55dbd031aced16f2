import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedis, redisTarget } from '../../../src/redis/connection.js';
import { type EmbeddedRedis, startEmbeddedRedis } from '../../../src/redis/embedded-redis.js';

describe('Redis over a Unix socket', () => {
  let own: EmbeddedRedis | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await own?.stop();
    own = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads unix:///path[?db=N] URLs and passes other URLs to ioredis as they are', () => {
    expect(redisTarget('unix:///run/redis/redis.sock')).toEqual({ path: '/run/redis/redis.sock' });
    expect(redisTarget('unix:///tmp/my%20dir/r.sock?db=3')).toEqual({ path: '/tmp/my dir/r.sock', db: 3 });
    expect(redisTarget('redis://127.0.0.1:6379/2')).toBe('redis://127.0.0.1:6379/2');
    expect(() => redisTarget('unix://host/r.sock')).toThrow(/unix:\/\/\/absolute\/path/);
    expect(() => redisTarget('unix:///r.sock?db=two')).toThrow(/db must be a number/);
  });

  it('the embedded server hands out its socket, keeps its TCP port, and removes the socket when stopped', async () => {
    dir = mkdtempSync(join(tmpdir(), 'kith-sock-'));
    own = await startEmbeddedRedis({ dir, supervise: false, extraArgs: ['--appendonly', 'no'] });
    const socket = join(dir, 'redis.sock');
    expect(own.url).toBe(`unix://${socket}`);
    const viaSocket = createRedis(own.url, { name: 'sock-test' });
    const viaTcp = new Redis(own.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    try {
      await viaSocket.set('k', 'over the socket');
      expect(await viaTcp.get('k')).toBe('over the socket');
      // The socket connection really is one: Redis lists it with no TCP peer.
      const clients = await viaTcp.client('LIST');
      expect(String(clients)).toMatch(/name=sock-test\b/);
      expect(String(clients).split('\n').find((l) => l.includes('name=sock-test'))).toMatch(/ addr=\/\S*redis\.sock:0 /);
    } finally {
      viaSocket.disconnect();
      viaTcp.disconnect();
    }
    await own.stop();
    own = undefined;
    expect(existsSync(socket)).toBe(false);
  });

  it('falls back to TCP when the socket path would be too long, or when asked to', async () => {
    dir = mkdtempSync(join(tmpdir(), `kith-${'d'.repeat(100)}-`));
    own = await startEmbeddedRedis({ dir, supervise: false, extraArgs: ['--appendonly', 'no'] });
    expect(own.url).toBe(`redis://127.0.0.1:${own.port}`);
    const r = createRedis(own.url);
    try {
      expect(await r.ping()).toBe('PONG');
    } finally {
      r.disconnect();
    }
    await own.stop();
    rmSync(dir, { recursive: true, force: true });
    dir = mkdtempSync(join(tmpdir(), 'kith-sock-off-'));
    own = await startEmbeddedRedis({ dir, supervise: false, unixSocket: false, extraArgs: ['--appendonly', 'no'] });
    expect(own.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
  });
});
