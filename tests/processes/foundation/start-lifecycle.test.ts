import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../../src/redis/free-port.js';
import { spawnKith } from '../../support/cli.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('kith start', () => {
  it('runs embedded Redis, serves /health, and leaves no process behind after SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kith-start-'));
    const port = await freePort();
    const k = spawnKith(['start'], { KITH_DATA_DIR: dir, KITH_PORT: String(port), KITH_SHUTDOWN_GRACE_MS: '2000' }, 'Press Ctrl-C to stop.');
    try {
      await k.started;
      expect(k.output().stdout).toContain(`health:     http://127.0.0.1:${port}/health`);
      expect(k.output().stdout).toContain(`Bull Board: http://127.0.0.1:${port}/admin/queues`);
      const pidFile = join(dir, 'redis', 'kith-redis.pid');
      const redisPid = Number(readFileSync(pidFile, 'utf8'));
      expect(alive(redisPid)).toBe(true);
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      expect(((await health.json()) as { status: string }).status).toBe('healthy');
      expect(existsSync(join(dir, 'kith.db'))).toBe(true);

      k.child.kill('SIGTERM');
      expect(await k.exited).toBe(0);
      expect(k.output().stdout).toContain('Kith stopped.');
      expect(alive(redisPid)).toBe(false);
      expect(existsSync(pidFile)).toBe(false);
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    } finally {
      if (k.child.exitCode === null) k.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
