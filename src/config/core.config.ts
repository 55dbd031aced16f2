import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { type Env, parseEnv } from './parse-env.js';

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** Settings every Kith process reads: where its data lives and how loudly it logs. */
export const coreSchema = z.object({
  KITH_DATA_DIR: z.string().default('.kith'),
  KITH_LOG_LEVEL: logLevel.default('info'),
});

export interface CoreConfig {
  dataDir: string;
  logLevel: z.infer<typeof logLevel>;
}

export function loadCoreConfig(env: Env = process.env): CoreConfig {
  const c = parseEnv(coreSchema, env);
  const dir = c.KITH_DATA_DIR.startsWith('~/') ? resolve(homedir(), c.KITH_DATA_DIR.slice(2)) : resolve(c.KITH_DATA_DIR);
  return { dataDir: dir, logLevel: c.KITH_LOG_LEVEL };
}
