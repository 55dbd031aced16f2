import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './config-error.js';
import { type Env, parseEnv } from './parse-env.js';

export const contactsSchema = z.object({
  /** Path to a YAML or JSON file `{ <system>: [<field>, …] }` replacing the default ownership table. */
  KITH_FIELD_OWNERSHIP: z.string().optional(),
});

export interface ContactsConfig {
  /** The ownership file's contents as read (YAML or JSON), unchecked; undefined: no file, the default table. */
  ownershipTable: unknown;
  /** 'default' or the resolved path of the file the table came from. */
  ownershipSource: string;
}

/**
 * The contact hub's settings, read: the ownership file replaces the default table entirely
 * (fields it does not list are owned by no one). A file that cannot be read or parsed is a
 * ConfigError naming it; its table is checked where the hub's domain is at hand
 * (src/app/field-ownership.ts), with the same kind of error.
 */
export function loadContactsConfig(env: Env = process.env): ContactsConfig {
  const c = parseEnv(contactsSchema, env);
  if (!c.KITH_FIELD_OWNERSHIP) return { ownershipTable: undefined, ownershipSource: 'default' };
  const file = resolve(c.KITH_FIELD_OWNERSHIP);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('KITH_FIELD_OWNERSHIP', `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let data: unknown;
  try {
    data = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(file, `is not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'} (${(err as Error).message.split('\n')[0]})`);
  }
  return { ownershipTable: data ?? {}, ownershipSource: file };
}
