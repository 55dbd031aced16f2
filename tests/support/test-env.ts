import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectRedis } from '../../src/redis/connection.js';
import pg from 'pg';
import { inject } from 'vitest';
import type { Db } from '../../src/db/db.js';
import { openDb } from '../../src/db/open-db.js';
import { createLogger } from '../../src/log/logger.js';

export const testLog = createLogger('silent');

export function redisUrl(): string {
  return inject('redisUrl');
}

export function postgresUrl(): string {
  return inject('postgresUrl');
}

/** A queue prefix of its own per test: a hash tag, like production's `{kith}`. */
export function uniquePrefix(): string {
  return `{t${randomBytes(5).toString('hex')}}`;
}

/**
 * Delete a test's keys and check nothing of it still holds a Redis connection: every Kith
 * connection carries its prefix-free role name, so we look for clients named after the prefix
 * given via `KITH_CONNECTION_TAG`-style names in `names`.
 */
export async function cleanupRedis(prefix: string): Promise<void> {
  const r = connectRedis(redisUrl(), { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

/** Names of Redis clients currently connected whose name contains `needle`. */
export async function redisClientsNamed(needle: string): Promise<string[]> {
  const r = connectRedis(redisUrl(), { maxRetriesPerRequest: 1 });
  try {
    const list = (await r.client('LIST')) as string;
    return list
      .split('\n')
      .map((l) => /name=(\S*)/.exec(l)?.[1] ?? '')
      .filter((n) => n.includes(needle));
  } finally {
    r.disconnect();
  }
}

export type Engine = 'sqlite' | 'postgres';
export const ENGINES: Engine[] = ['sqlite', 'postgres'];

export interface TestDb {
  db: Db;
  /** Connection string for other processes (DATABASE_URL form). */
  url: string;
  /** Close and drop; fails if a connection to the test database leaked. */
  dispose(): Promise<void>;
}

/** A fresh, migrated database of the given engine, private to one test (`migrate: false`: empty). */
export async function freshDb(engine: Engine, opts: { migrate?: boolean } = {}): Promise<TestDb> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'kith-test-db-'));
    const path = join(dir, 'kith.db');
    const db = await openDb({ engine: 'sqlite', path }, opts);
    return {
      db,
      url: `sqlite:${path}`,
      async dispose() {
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const name = `kith_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = postgresUrl().replace(/\/postgres$/, `/${name}`);
  const db = await openDb({ engine: 'postgres', url }, opts);
  return {
    db,
    url,
    async dispose() {
      await db.close();
      const a = new pg.Client({ connectionString: postgresUrl() });
      await a.connect();
      try {
        // Without FORCE this fails while any connection to the database is still open: a leak.
        await a.query(`DROP DATABASE ${name}`);
      } finally {
        await a.end();
      }
    },
  };
}
