import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { z } from 'zod';
import { ConfigError } from '../config/config-error.js';

/**
 * An account kept in the data directory by `kith auth <command>`: JSON checked by `schema`, a
 * ConfigError naming the file (and the field) and saying to run the command again when it is not.
 */
export function readAccountFile<S extends z.ZodTypeAny>(file: string, schema: S, command: string): z.infer<S> | undefined {
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(file, `is not valid JSON (${(err as Error).message}); run \`${command}\` again`);
  }
  const r = schema.safeParse(raw);
  if (!r.success) throw new ConfigError(`${file}: ${r.error.issues[0]!.path.join('.') || 'account'}`, `${r.error.issues[0]!.message}; run \`${command}\` again`);
  return r.data as z.infer<S>;
}

/** Write an account with mode 0600 (created so, then renamed over the old one): readable by its owner alone. */
export function writeAccountFile(file: string, account: unknown): string {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(account, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return file;
}
