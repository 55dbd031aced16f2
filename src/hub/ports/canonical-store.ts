import type { Queryable } from '../../db/db.js';
import { TemporaryError } from '../../errors.js';
import type { CanonicalContact, SystemName } from '../domain/canonical-contact.js';
import type { ContactVersion } from '../domain/contact-version.js';

export type { ContactVersion };

export interface CanonicalPage {
  contacts: CanonicalContact[];
  /** Resume point after this page; store it only once the page is fully processed. */
  cursor: string | undefined;
  done: boolean;
}

export interface PutOutcome {
  contactId: string;
  /** 'stale': the store already holds a higher version, nothing was written. */
  action: 'created' | 'updated' | 'unchanged' | 'stale';
  /** The version the store holds afterwards. */
  version: number;
}

/** Where a write came from, kept with the version it makes (the trail shows it). */
export interface PutOptions {
  /** The path the change took into Kith: `webhook`, `sweep`, `local-edit`, `promotion`, `conflict-resolution` … */
  origin?: string;
}

/**
 * Where the one canonical record per contact lives: BigQuery when BIGQUERY_PROJECT_ID is set,
 * otherwise the local database (src/systems/local/local-canonical.store.ts). Every change from
 * any system goes through `put` first and is then fanned out.
 */
export interface CanonicalStore {
  readonly system: SystemName;
  get(contactId: string): Promise<CanonicalContact | undefined>;
  /** Many records at once, by contact id (absent ids are left out). */
  getMany(contactIds: readonly string[]): Promise<Map<string, CanonicalContact>>;
  /**
   * Store one record. With `expectedVersion` it is a compare-and-set: the stored version must be
   * exactly that (0 = must not exist yet) or VersionConflictError is thrown and nothing is written
   * (re-read, re-decide, retry). Without it the write is monotonic: a lower version than stored
   * is 'stale' and skipped; the same version and content is 'unchanged' and costs no write.
   */
  put(contact: CanonicalContact, expectedVersion?: number, opts?: PutOptions): Promise<PutOutcome>;
  /**
   * A store kept in Kith's own database: `put`, with `also` (more writes to that database, such
   * as the source's link) in the same transaction — both or neither. Stores elsewhere (BigQuery)
   * leave it out, and callers write `also` after `put`.
   */
  putWith?(contact: CanonicalContact, expectedVersion: number | undefined, also: (q: Queryable) => Promise<void>, opts?: PutOptions): Promise<PutOutcome>;
  /**
   * Many records at once (the first promotion of people), each a compare-and-set against
   * `expected` (the version stored now, 0 = must not exist yet; no entry = monotonic, as `put`):
   * when any stored version differs, VersionConflictError and nothing is written. One outcome
   * per record, in order.
   */
  putMany(contacts: readonly CanonicalContact[], expected: ReadonlyMap<string, number>, opts?: PutOptions): Promise<PutOutcome[]>;
  /** `putMany` with `also` in the same transaction of Kith's database (as `putWith`); stores elsewhere leave it out. */
  putManyWith?(contacts: readonly CanonicalContact[], expected: ReadonlyMap<string, number>, also: (q: Queryable) => Promise<void>, opts?: PutOptions): Promise<PutOutcome[]>;
  /**
   * Every version the store keeps of one contact, newest first: the record, the fields that
   * changed, the system and origin of the change. A replayed write adds no version.
   */
  history(contactId: string, limit?: number): Promise<ContactVersion[]>;
  /** Records changed after `cursor` (undefined = from the beginning), in change order. */
  listSince(cursor: string | undefined, limit: number): Promise<CanonicalPage>;
  /** Live and deleted records holding this address (compared normalised), by contact id. */
  findByEmail(email: string): Promise<CanonicalContact[]>;
}

/** A compare-and-set lost the race: another writer changed the record first. Retry after re-reading. */
export class VersionConflictError extends TemporaryError {
  override name = 'VersionConflictError';
  constructor(
    readonly contactId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
  ) {
    super(`contact ${contactId}: expected version ${expectedVersion}, found ${actualVersion}`, 'version_conflict');
  }
}
