import { join } from 'node:path';
import { z } from 'zod';
import { type Env, parseEnv } from './parse-env.js';

export const dbSchema = z.object({
  DATABASE_URL: z
    .string()
    .refine((v) => /^(postgres|postgresql):\/\//.test(v) || /^sqlite:/.test(v), 'must be postgres://… or sqlite:PATH')
    .optional(),
});

/**
 * `setting`: the variable that named the SQLite file, when it is DATABASE_URL — its directory must
 * then exist (a mistyped path does not silently start an empty database elsewhere), while the
 * data directory's is created.
 */
export type DbConfig = { engine: 'sqlite'; path: string; setting?: 'DATABASE_URL' } | { engine: 'postgres'; url: string };

/** SQLite at KITH_DATA_DIR/kith.db unless DATABASE_URL names PostgreSQL (or another SQLite file). */
export function loadDbConfig(dataDir: string, env: Env = process.env): DbConfig {
  const c = parseEnv(dbSchema, env, ['DATABASE_URL']);
  if (!c.DATABASE_URL) return { engine: 'sqlite', path: join(dataDir, 'kith.db') };
  if (c.DATABASE_URL.startsWith('sqlite:')) return { engine: 'sqlite', path: c.DATABASE_URL.slice('sqlite:'.length), setting: 'DATABASE_URL' };
  return { engine: 'postgres', url: c.DATABASE_URL };
}
