import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { freePort } from '../../../src/redis/free-port.js';
import { spawnKith } from '../../support/cli.js';

const until = async (what: string, ok: () => boolean, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

let redis: ChildProcess | undefined;
let dir: string | undefined;
afterEach(async () => {
  if (redis && redis.exitCode === null) {
    redis.kill('SIGKILL');
    await once(redis, 'exit');
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('a worker started while Redis is down (a restart, a failover) waits for it, says so, and serves once it answers', async () => {
  const port = await freePort();
  dir = mkdtempSync(join(tmpdir(), 'kith-wait-redis-'));
  const w = spawnKith(['worker', '--queues', 'contacts-inbound'], { REDIS_URL: `redis://127.0.0.1:${port}`, KITH_DATA_DIR: dir }, 'never printed on stdout', 60_000);
  w.started.catch(() => undefined);
  try {
    await until('the worker to say it waits for Redis', () => /Redis does not answer yet .*waiting up to 30 s/.test(w.output().stderr + w.output().stdout));
    expect(w.child.exitCode).toBeNull();
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    await until('the worker to serve', () => (w.output().stderr + w.output().stdout).includes('kith worker: serving'));
  } finally {
    w.child.kill('SIGTERM');
    await w.exited;
  }
}, 60_000);
