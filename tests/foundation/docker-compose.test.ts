import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { allQueues } from '../../src/queues/queue-registry.js';

const root = resolve(import.meta.dirname, '../..');
type Service = { command?: string[]; environment?: Record<string, string> };
const compose = parse(readFileSync(resolve(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };

function composeCli(): string[] | undefined {
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) return ['docker', 'compose'];
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) return ['docker-compose'];
  return undefined;
}

describe('docker-compose.yml', () => {
  it('every queue is served by exactly one worker service, and the API runs without workers', () => {
    const served = Object.values(compose.services)
      .filter((s) => s.command?.[0] === 'worker')
      .flatMap((s) => s.command![s.command!.indexOf('--queues') + 1]!.split(','));
    expect(served.sort()).toEqual(allQueues().map((q) => q.name).sort());
    expect(compose.services.api?.command).toEqual(['start', '--no-workers']);
    expect(compose.services.redis).toBeDefined();
    expect(compose.services.postgres).toBeDefined();
  });

  it('Redis keeps every key (noeviction, AOF everysec)', () => {
    const conf = readFileSync(resolve(root, 'redis/redis.conf'), 'utf8');
    expect(conf).toMatch(/^maxmemory-policy noeviction$/m);
    expect(conf).toMatch(/^appendonly yes$/m);
    expect(conf).toMatch(/^appendfsync everysec$/m);
  });

  const cli = composeCli();
  it.runIf(cli)('passes `compose config -q`', () => {
    const r = spawnSync(cli![0]!, [...cli!.slice(1), 'config', '-q'], { cwd: root, env: { ...process.env, KITH_ADMIN_PASSWORD: 'a-long-password' }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
