import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedRedis } from '../src/redis/embedded-redis.js';
import { startPostgres } from './support/postgres-server.js';

/**
 * One throwaway redis-server and one PostgreSQL cluster for the whole run, on free loopback
 * ports; each test isolates itself with its own queue prefix / database and cleans up.
 */
export default async function setup(project: TestProject) {
  process.env.METADATA_SERVER_DETECTION = 'none';
  const redisDir = mkdtempSync(join(tmpdir(), 'kith-test-redis-'));
  const redis = await startEmbeddedRedis({ dir: redisDir, supervise: false, extraArgs: ['--appendonly', 'no'] });
  const pg = await startPostgres();
  project.provide('redisUrl', redis.url);
  project.provide('postgresUrl', pg.url);
  return async () => {
    await redis.stop();
    rmSync(redisDir, { recursive: true, force: true });
    pg.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    postgresUrl: string;
  }
}
