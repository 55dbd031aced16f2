import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadDbConfig } from '../../../src/config/db.config.js';
import { loadHttpConfig } from '../../../src/config/http.config.js';
import { loadRedisConfig } from '../../../src/config/redis.config.js';
import { loadWorkerConfig, workerNodeFlags } from '../../../src/config/worker.config.js';
import { redactUrl } from '../../../src/log/logger.js';
import { coreSchedules } from '../../../src/producers/schedules.producer.js';
import type { Command } from 'commander';
import { buildProgram } from '../../../src/cli/program.js';
import { runKith } from '../../support/cli.js';

describe('configuration', () => {
  it('uses defaults when nothing is set', () => {
    expect(loadHttpConfig({})).toEqual({ host: '127.0.0.1', port: 3000, admin: undefined });
    expect(loadRedisConfig({})).toEqual({ url: undefined, prefix: '{kith}' });
    expect(loadDbConfig('/data', {})).toEqual({ engine: 'sqlite', path: '/data/kith.db' });
    expect(loadWorkerConfig({ KITH_WORKER_QUEUES: 'a, b,,c' }).queues).toEqual(['a', 'b', 'c']);
    expect(workerNodeFlags({})).toEqual(['--max-old-space-size=384', '--max-semi-space-size=16']);
    expect(workerNodeFlags({ KITH_WORKER_HEAP_MB: '1024' })[0]).toBe('--max-old-space-size=1024');
  });

  it('names the variable and the bad value', () => {
    expect(() => loadHttpConfig({ KITH_PORT: 'abc' })).toThrow(ConfigError);
    expect(() => loadHttpConfig({ KITH_PORT: '70000' })).toThrow(/^KITH_PORT: must be a whole number from 0 to 65535 \(got '70000'\)$/);
    expect(() => loadRedisConfig({ REDIS_URL: 'http://x' })).toThrow(/^REDIS_URL: must start with redis:\/\//);
    expect(loadRedisConfig({ REDIS_URL: 'unix:///run/redis/redis.sock?db=2' }).url).toBe('unix:///run/redis/redis.sock?db=2');
    expect(() => loadRedisConfig({ REDIS_URL: 'unix://run/redis.sock' })).toThrow(/^REDIS_URL: must start with redis:\/\/, rediss:\/\/ or unix:\/\/\//);
    expect(() => loadRedisConfig({ REDIS_URL: 'unix:///run/redis.sock?db=x' })).toThrow(/^REDIS_URL: a Unix socket URL is unix:\/\/\/path/);
    expect(() => loadRedisConfig({ KITH_QUEUE_PREFIX: 'kith' })).toThrow(/^KITH_QUEUE_PREFIX: must be a Redis Cluster hash tag/);
    expect(() => loadDbConfig('/d', { DATABASE_URL: 'mysql://x' })).toThrow(/^DATABASE_URL: must be postgres/);
    expect(() => workerNodeFlags({ KITH_WORKER_HEAP_MB: '16' })).toThrow(/^KITH_WORKER_HEAP_MB: must be a whole number from 64/);
  });

  it('never echoes a secret value', () => {
    let err: Error | undefined;
    try {
      loadHttpConfig({ KITH_ADMIN_USER: 'admin', KITH_ADMIN_PASSWORD: 'short-pw' });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).toMatch(/^KITH_ADMIN_PASSWORD: must be at least 12 characters/);
    expect(err?.message).not.toContain('short-pw');
    expect(redactUrl('postgres://kith:hunter2@db:5432/kith')).toBe('postgres://kith:***@db:5432/kith');
  });

  it('refuses a non-loopback bind without admin credentials', () => {
    expect(() => loadHttpConfig({ KITH_HOST: '0.0.0.0' })).toThrow(/^KITH_HOST: is 0\.0\.0\.0, not a loopback address/);
    expect(loadHttpConfig({ KITH_HOST: '0.0.0.0', KITH_ADMIN_USER: 'ops', KITH_ADMIN_PASSWORD: 'a-long-password' }).admin).toEqual({
      user: 'ops',
      password: 'a-long-password',
    });
    expect(() => loadHttpConfig({ KITH_ADMIN_USER: 'ops' })).toThrow(/^KITH_ADMIN_PASSWORD: must be set together/);
  });

  it('the CLI exits 1 with one line and no stack trace', async () => {
    const r = await runKith(['start'], { KITH_PORT: 'abc', KITH_DATA_DIR: '/tmp/kith-never-used' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([`kith: configuration error: KITH_PORT: must be a whole number (got 'abc')`]);
    expect(r.stdout).toBe('');
  });

  it('KITH_DAILY_SYNC_CRON is read as a cron pattern, with the reason when it is not one', () => {
    const daily = (env: Record<string, string>) => coreSchedules(env).find((s) => s.id === 'daily-sync')!.pattern;
    expect(daily({})).toBe('0 6 * * *');
    expect(daily({ KITH_DAILY_SYNC_CRON: '30 5 * * 1-5' })).toBe('30 5 * * 1-5');
    expect(daily({ KITH_DAILY_SYNC_CRON: '0 30 5 * * *' })).toBe('0 30 5 * * *');
    expect(() => daily({ KITH_DAILY_SYNC_CRON: 'a b c d e' })).toThrow(ConfigError);
    expect(() => daily({ KITH_DAILY_SYNC_CRON: 'a b c d e' })).toThrow(/^KITH_DAILY_SYNC_CRON: must be a cron pattern such as "0 6 \* \* \*": Invalid characters, got value: a \(got 'a b c d e'\)$/);
    expect(() => daily({ KITH_DAILY_SYNC_CRON: '61 6 * * *' })).toThrow(/^KITH_DAILY_SYNC_CRON: .*expected range 0-59/);
    expect(() => daily({ KITH_DAILY_SYNC_CRON: '0 6 * *' })).toThrow(/^KITH_DAILY_SYNC_CRON: .*5 fields \(or 6 with seconds first\), got 4/);
  });

  it('kith start refuses a bad KITH_DAILY_SYNC_CRON in one line, before starting anything', async () => {
    const r = await runKith(['start'], { KITH_DAILY_SYNC_CRON: 'a b c d e', KITH_DATA_DIR: '/tmp/kith-never-used' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      `kith: configuration error: KITH_DAILY_SYNC_CRON: must be a cron pattern such as "0 6 * * *": Invalid characters, got value: a (got 'a b c d e')`,
    ]);
    expect(r.stdout).toBe('');
  });

  it('every command and subcommand has --help', async () => {
    const program = await buildProgram();
    const walk = (c: Command, path: string[]): string[] => {
      const help = c.helpInformation();
      expect(help, path.join(' ')).toMatch(new RegExp(`^Usage: ${['kith', ...path].join(' ')}`));
      expect(c.description(), path.join(' ')).not.toBe('');
      return [path.join(' '), ...c.commands.flatMap((s) => walk(s, [...path, s.name()]))];
    };
    const all = program.commands.flatMap((c) => walk(c, [c.name()]));
    expect(all).toEqual(expect.arrayContaining(['start', 'worker', 'sync', 'status', 'people list', 'stats verify', 'contacts show']));
    // And for real, through the binary: --help exits 0 on a command and on a subcommand.
    for (const args of [['--help'], ['sync', '--help'], ['people', 'list', '--help']]) {
      const r = await runKith(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^Usage: kith/);
    }
  });
});
