import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectRedis } from '../../../src/redis/connection.js';
import { attachOrStartEmbeddedRedis, type EmbeddedRedis, startEmbeddedRedis } from '../../../src/redis/embedded-redis.js';
import { processAlive } from '../../../src/support/pid-lock.js';

async function ping(url: string): Promise<string> {
  const c = connectRedis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await c.connect();
    return await c.ping();
  } finally {
    c.disconnect();
  }
}

describe('the embedded Redis of a data directory and its owner', () => {
  it('is never reaped while its owner lives: a second start is refused and attaches instead; once the owner is dead it is replaced', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kith-redis-owner-'));
    const owner = spawn('sleep', ['60']); // stands in for another live Kith process
    let first: EmbeddedRedis | undefined;
    let next: EmbeddedRedis | undefined;
    try {
      first = await startEmbeddedRedis({ dir, supervise: false, extraArgs: ['--appendonly', 'no'] });
      const ownerFile = join(dir, 'kith-redis.json');
      const info = JSON.parse(readFileSync(ownerFile, 'utf8')) as { ownerPid: number };
      expect(info.ownerPid).toBe(process.pid);
      writeFileSync(ownerFile, JSON.stringify({ ...info, ownerPid: owner.pid }));

      await expect(startEmbeddedRedis({ dir, supervise: false })).rejects.toThrow(`the embedded Redis of ${dir} belongs to a running Kith process (pid ${owner.pid}); it was left alone`);
      expect(processAlive(first.pid!)).toBe(true);
      const attached = await attachOrStartEmbeddedRedis({ dir, supervise: false });
      expect(attached).toMatchObject({ shared: true, url: first.url, pid: first.pid, ownerPid: owner.pid });
      expect(await ping(attached.url)).toBe('PONG');

      owner.kill('SIGKILL');
      await new Promise((r) => owner.once('exit', r));
      next = await attachOrStartEmbeddedRedis({ dir, supervise: false, extraArgs: ['--appendonly', 'no'] });
      expect(next.shared).toBeUndefined();
      expect(next.pid).not.toBe(first.pid);
      expect(await ping(next.url)).toBe('PONG');
      const deadline = Date.now() + 5000;
      while (processAlive(first.pid!) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(processAlive(first.pid!)).toBe(false); // the server of the dead owner was reaped
    } finally {
      owner.kill('SIGKILL');
      await next?.stop();
      await first?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
