/** What the link table remembers about the last write Kith made to one system. */
export interface LinkState {
  lastHash: string | null;
  lastVersion: number | null;
}

/**
 * True when a change reported by a system is Kith's own write coming back (a webhook for the
 * record we just upserted): its content hash equals the hash recorded with the link when Kith
 * wrote it, and, when the system carries a version, that version is not newer than the one Kith
 * wrote. No timing window: an echo arriving an hour late is still an echo, and a real edit
 * arriving a millisecond after our write is not. Compute `incomingHash` with hashSystemFields
 * on the system's fields, and the link's hash with hashForSystem on the canonical record
 * projected onto the same fields.
 */
export function isEcho(incomingHash: string, link: LinkState | undefined, incomingVersion?: number): boolean {
  if (!link || link.lastHash == null) return false;
  if (incomingHash !== link.lastHash) return false;
  if (incomingVersion !== undefined && link.lastVersion != null && incomingVersion > link.lastVersion) return false;
  return true;
}

/**
 * True when Kith wrote other content to the system after `recordAt`, the time the incoming
 * record was current there: a push that raced an edit made in the system (one without a
 * compare-and-set write, such as Twenty, can take an edit between a push's read and its write).
 * The system then no longer holds the incoming record, whatever its event says, so a merge of
 * that record must be written back to it. An unreadable `recordAt` proves nothing: false.
 */
export function overwrittenSince(link: { lastHash: string | null; lastSyncedAt: number | null } | undefined, incomingHash: string, recordAt: string): boolean {
  if (!link || link.lastHash == null || link.lastSyncedAt == null || link.lastHash === incomingHash) return false;
  const at = Date.parse(recordAt);
  return !Number.isNaN(at) && link.lastSyncedAt > at;
}
