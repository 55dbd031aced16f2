import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../../src/redis/free-port.js';
import { runKith, spawnKith } from '../../support/cli.js';

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

  it('refuses a second kith start on the same data directory, naming it and the running pid; the first runs on untouched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kith-start-twice-'));
    const env = { KITH_DATA_DIR: dir, KITH_SHUTDOWN_GRACE_MS: '2000' };
    const port = await freePort();
    const first = spawnKith(['start'], { ...env, KITH_PORT: String(port) }, 'Press Ctrl-C to stop.');
    try {
      await first.started;
      const redisPid = Number(readFileSync(join(dir, 'redis', 'kith-redis.pid'), 'utf8'));
      const second = await runKith(['start'], { ...env, KITH_PORT: String(await freePort()) });
      expect(second.code).toBe(1);
      expect(second.stderr.trim()).toBe(
        `kith: kith start is already running on the data directory ${dir} (pid ${first.child.pid}): stop it first, or give this one its own KITH_DATA_DIR`,
      );
      expect(second.stdout).toBe('');
      expect(alive(redisPid)).toBe(true);
      expect(Number(readFileSync(join(dir, 'redis', 'kith-redis.pid'), 'utf8'))).toBe(redisPid);
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(((await health.json()) as { status: string }).status).toBe('healthy');

      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      expect(existsSync(join(dir, 'kith-start.pid'))).toBe(false);
    } finally {
      if (first.child.exitCode === null) first.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes over a data directory whose kith start was killed (its lock names a dead process)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kith-start-stale-'));
    const env = { KITH_DATA_DIR: dir, KITH_SHUTDOWN_GRACE_MS: '2000' };
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(dir, 'kith-start.pid'), dead.stdout);
    const port = await freePort();
    const k = spawnKith(['start'], { ...env, KITH_PORT: String(port) }, 'Press Ctrl-C to stop.');
    try {
      await k.started;
      expect(readFileSync(join(dir, 'kith-start.pid'), 'utf8')).toBe(String(k.child.pid));
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
      k.child.kill('SIGTERM');
      expect(await k.exited).toBe(0);
    } finally {
      if (k.child.exitCode === null) k.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
