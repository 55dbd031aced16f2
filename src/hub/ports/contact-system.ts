import type { CanonicalContact, ContactFields, SystemName } from '../domain/canonical-contact.js';
import type { SystemView } from '../domain/link-hash.js';
import type { SystemContact } from '../domain/system-contact.js';

/** A system's copy of a contact (the pure type lives with the domain logic that judges it). */
export type { SystemContact };

export interface ChangePage {
  contacts: SystemContact[];
  /** Resume point after this page; store it only once the page is fully processed. */
  cursor: string | undefined;
  done: boolean;
}

export interface UpsertOutcome {
  contactId: string;
  externalId: string;
  action: 'created' | 'updated' | 'unchanged';
}

/**
 * One small interface per external system that holds contacts (BigQuery, Supabase, the local
 * database, Twenty). Every write is an idempotent upsert keyed by the contact id.
 */
export interface UpsertOptions {
  read?: ReadonlyMap<string, boolean>;
}

/** What a compare-and-set upsert did: the contacts it wrote or found unchanged, and the copies it left alone. */
export interface GuardedUpsert {
  outcomes: UpsertOutcome[];
  /** Copies whose version was not the expected one (changed in the system since): not written, keyed by contact id. */
  changed: Map<string, SystemContact>;
}

/** A contact as a caller names it in one system: Kith's id, and the system's own id when known. */
export interface ContactRef {
  contactId: string;
  externalId?: string;
}

export interface ContactSystem extends SystemView {
  readonly name: SystemName;
  /**
   * The canonical record as this system will hand it back: only the fields it stores, through
   * its own mapping (a lossy one round-trips here). Kith hashes it to recognise its own writes.
   */
  view(contact: CanonicalContact): Partial<ContactFields>;
  /** Whether the system keeps the version Kith wrote with its copy (Twenty keeps none). */
  readonly keepsVersion: boolean;
  /** Read one contact by Kith contact id (and/or the system's external id). */
  get(ref: { contactId?: string; externalId?: string }): Promise<SystemContact | undefined>;
  /**
   * Read many copies in as few requests as the system allows, keyed by the ref's contact id
   * (absent: the system holds none). Optional: `readCopies` falls back to one `get` each.
   */
  getCopies?(refs: readonly ContactRef[]): Promise<Map<string, SystemContact>>;
  /** Contacts changed after `cursor` (undefined = from the beginning), oldest first. */
  listChanged(cursor: string | undefined, limit: number): Promise<ChangePage>;
  /**
   * Create or update; safe to repeat with the same input. `opts.read` lists contacts whose copy
   * the caller read just now and found different (true: it exists; false: there is none), so a
   * system that reads its own state before writing may skip that read for them.
   */
  upsertMany(contacts: readonly CanonicalContact[], externalIds?: ReadonlyMap<string, string>, opts?: UpsertOptions): Promise<UpsertOutcome[]>;
  /**
   * Optional compare-and-set upsert, in one request: a contact named in `expected` is written only
   * while the system's copy still has that version (the one Kith last wrote or read there); a copy
   * that moved on (edited in the system meanwhile) is not overwritten and comes back in `changed`.
   * Contacts not named are upserted as by upsertMany. Resolves to undefined, having written
   * nothing, when the system cannot do it (its schema lacks the function): the caller then reads
   * the copies and writes instead.
   */
  upsertUnlessChanged?(contacts: readonly CanonicalContact[], expected: ReadonlyMap<string, number>): Promise<GuardedUpsert | undefined>;
  /** Soft-delete (deleted_at / trash): never a hard delete. */
  softDelete(refs: readonly { contactId: string; externalId?: string }[], at: string): Promise<void>;
  /** A record as the system's webhook carried it (no read): lets an echo be recognised without a round trip. */
  fromRecord?(record: unknown): Promise<SystemContact>;
  close?(): Promise<void>;
}

/** `system.getCopies` when it has one, else one `get` per ref: copies keyed by contact id. */
export async function readCopies(system: ContactSystem, refs: readonly ContactRef[]): Promise<Map<string, SystemContact>> {
  if (!refs.length) return new Map();
  if (system.getCopies) return system.getCopies(refs);
  const out = new Map<string, SystemContact>();
  for (const r of refs) {
    const copy = await system.get(r);
    if (copy) out.set(r.contactId, copy);
  }
  return out;
}
