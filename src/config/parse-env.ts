import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './config-error.js';

export type Env = Record<string, string | undefined>;

let dotenvLoaded = false;

/**
 * Load `.env` from the working directory (or KITH_ENV_FILE) into process.env once.
 * Variables already set in the environment win over the file, as with every dotenv tool.
 */
export function loadDotenv(env: NodeJS.ProcessEnv = process.env): void {
  if (dotenvLoaded) return;
  dotenvLoaded = true;
  const file = resolve(env.KITH_ENV_FILE ?? '.env');
  if (env.KITH_ENV_FILE && !existsSync(file)) {
    throw new ConfigError('KITH_ENV_FILE', `file ${file} does not exist`);
  }
  if (!existsSync(file)) return;
  const before = { ...env };
  try {
    process.loadEnvFile(file);
  } catch (err) {
    throw new ConfigError(file, `cannot be read as a .env file (${(err as Error).message})`);
  }
  for (const [k, v] of Object.entries(before)) if (v !== undefined) env[k] = v;
}

/**
 * Parse the variables one concern needs with its zod schema. Empty strings count as unset, so
 * `FOO=` in a .env file means "use the default". The first problem becomes a ConfigError that
 * names the variable and the received value (unless the variable is a secret).
 */
export function parseEnv<S extends z.ZodObject>(schema: S, env: Env = process.env, secrets: readonly string[] = []): z.infer<S> {
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') input[key] = value.trim();
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const variable = String(issue.path[0] ?? 'environment');
  const got = input[variable];
  const shown = got === undefined ? 'it is not set' : secrets.includes(variable) ? 'got a value that is not valid' : `got '${got}'`;
  throw new ConfigError(variable, `${issue.message} (${shown})`);
}

/** A whole-number variable with a readable message for every way it can be wrong. */
export function wholeNumber(min: number, max: number) {
  const range = `must be a whole number from ${min} to ${max}`;
  return z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(min, range).max(max, range);
}
