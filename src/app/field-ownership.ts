import { ConfigError } from '../config/config-error.js';
import { loadContactsConfig } from '../config/contacts.config.js';
import type { Env } from '../config/parse-env.js';
import { DEFAULT_FIELD_OWNERSHIP, type FieldOwnership, parseOwnershipTable } from '../hub/domain/field-ownership.js';

/**
 * The field ownership table of this deployment: KITH_FIELD_OWNERSHIP's file, checked, or the
 * default table. A table that does not hold is a ConfigError naming the file.
 */
export function loadFieldOwnership(env: Env = process.env): { ownership: FieldOwnership; ownershipSource: string } {
  const { ownershipTable, ownershipSource } = loadContactsConfig(env);
  if (ownershipTable === undefined) return { ownership: DEFAULT_FIELD_OWNERSHIP, ownershipSource };
  try {
    return { ownership: parseOwnershipTable(ownershipTable), ownershipSource };
  } catch (err) {
    throw new ConfigError(ownershipSource, (err as Error).message);
  }
}
