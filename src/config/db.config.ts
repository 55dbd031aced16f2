import { join } from 'node:path';
import { z } from 'zod';
import { type Env, parseEnv } from './parse-env.js';

export const dbSchema = z.object({
  DATABASE_URL: z
    .string()
    .refine((v) => /^(postgres|postgresql):\/\//.test(v) || /^sqlite:/.test(v), 'must be postgres://… or sqlite:PATH')
    .optional(),
});

export type DbConfig = { engine: 'sqlite'; path: string } | { engine: 'postgres'; url: string };

/** SQLite at KITH_DATA_DIR/kith.db unless DATABASE_URL names PostgreSQL (or another SQLite file). */
export function loadDbConfig(dataDir: string, env: Env = process.env): DbConfig {
  const c = parseEnv(dbSchema, env, ['DATABASE_URL']);
  if (!c.DATABASE_URL) return { engine: 'sqlite', path: join(dataDir, 'kith.db') };
  if (c.DATABASE_URL.startsWith('sqlite:')) return { engine: 'sqlite', path: c.DATABASE_URL.slice('sqlite:'.length) };
  return { engine: 'postgres', url: c.DATABASE_URL };
}
