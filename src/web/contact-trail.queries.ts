import type { Db } from '../db/db.js';
import type { CanonicalContact, SystemName } from '../hub/domain/canonical-contact.js';
import { getLinks } from '../hub/stores/contact-links.store.js';
import { listConflicts } from '../hub/stores/sync-conflicts.store.js';
import type { CanonicalStore } from '../hub/ports/canonical-store.js';
import { LocalCanonicalStore } from '../systems/local/local-canonical.store.js';

/**
 * A person's contact trail, from what the hub keeps: every version the canonical store's
 * history holds (the record, the fields changed, the system and origin of the change), the
 * sides of any conflict; each system's link says which version Kith last wrote or read there,
 * and the outbox which version is still on its way. Nothing more is invented.
 */
export interface TrailVersion {
  version: number | null;
  at: string;
  /** The system the change came from. */
  by: string;
  /** The path the change took into Kith (webhook, sweep, local-edit, promotion, …); null when unknown. */
  origin: string | null;
  /** Fields that differ from the version before. */
  changed: string[];
  /** `history` for a version of the canonical store, `canonical` for a current record it has no history of, `conflict <id>` for a side a conflict recorded. */
  seenIn: string;
  deleted: boolean;
  /** Systems whose last write or read from Kith was this version. */
  heldBy: string[];
}

/** What the trail reads from the canonical store. */
export type TrailStore = Pick<CanonicalStore, 'get' | 'history'>;

export interface TrailSystem {
  system: string;
  role: 'canonical' | 'target';
  externalId: string | null;
  lastVersion: number | null;
  state: 'current' | 'behind' | 'unknown' | 'not linked' | 'canonical';
  lastSyncedAt: number | null;
  pending: { version: number; since: number; attempts: number; lastError: string | null } | null;
}

export interface ContactTrail {
  contactId: string;
  contact: CanonicalContact | null;
  versions: TrailVersion[];
  systems: TrailSystem[];
  conflicts: { id: string; open: boolean; a: string; b: string; reason: string; createdAt: number }[];
}

export async function contactTrail(
  db: Db,
  personId: string,
  systems: { canonical: SystemName; targets: readonly SystemName[] },
  store: TrailStore = new LocalCanonicalStore(db),
): Promise<{ personId: string; contacts: ContactTrail[] }> {
  const ids = await db.all<{ contact_id: string }>('SELECT contact_id FROM contacts WHERE person_id = ? ORDER BY deleted_at IS NOT NULL, contact_id', [personId]);
  const out: ContactTrail[] = [];
  for (const { contact_id: id } of ids) {
    const [contact, history, links, mine, conflicts] = await Promise.all([
      store.get(id),
      store.history(id),
      getLinks(db, id),
      db.all<{ target: string; version: number; enqueued_at: number; attempts: number; last_error: string | null }>(
        'SELECT target, version, enqueued_at, attempts, last_error FROM contact_outbox WHERE contact_id = ? AND done_at IS NULL',
        [id],
      ),
      listConflicts(db, { all: true, contactId: id }),
    ]);
    const heldBy = (version: number | null) => links.filter((l) => version != null && l.lastVersion === version).map((l) => l.system as string);
    const versions: TrailVersion[] = history.map((v) => ({ version: v.version, at: v.at, by: v.system, origin: v.origin, changed: v.changed, seenIn: 'history', deleted: v.deleted, heldBy: heldBy(v.version) }));
    // A record written before the store kept history: its current version still shows.
    if (contact && !history.some((v) => v.version === contact.sync_metadata.version)) {
      const m = contact.sync_metadata;
      versions.push({ version: m.version, at: m.last_updated, by: m.last_updated_by, origin: null, changed: [], seenIn: 'canonical', deleted: contact.deleted_at != null, heldBy: heldBy(m.version) });
    }
    for (const c of conflicts) {
      for (const s of [c.a, c.b]) versions.push({ version: s.version, at: s.updatedAt, by: s.system, origin: null, changed: [], seenIn: `conflict ${c.id}`, deleted: s.deletedAt != null, heldBy: [] });
    }
    // Newest first; a version's own entry before a conflict's side of it (a stable sort keeps the history's order).
    versions.sort((x, y) => (y.version ?? -1) - (x.version ?? -1) || (x.seenIn === 'history' ? -1 : 0) - (y.seenIn === 'history' ? -1 : 0));
    const current = contact?.sync_metadata.version ?? null;
    const linkBy = new Map(links.map((l) => [l.system as string, l]));
    const names: [string, TrailSystem['role']][] = [[systems.canonical, 'canonical'], ...systems.targets.map((t) => [t, 'target'] as [string, 'target'])];
    for (const l of links) if (!names.some(([n]) => n === l.system)) names.push([l.system, 'target']);
    const sys = names.map(([system, role]): TrailSystem => {
      const l = linkBy.get(system);
      const p = mine.find((x) => x.target === system);
      const state: TrailSystem['state'] =
        role === 'canonical' && !l ? 'canonical' : !l ? 'not linked' : l.lastVersion == null ? 'unknown' : l.lastVersion === current ? 'current' : 'behind';
      return {
        system,
        role,
        externalId: l?.externalId ?? null,
        lastVersion: l?.lastVersion ?? null,
        state,
        lastSyncedAt: l?.lastSyncedAt ?? null,
        pending: p ? { version: Number(p.version), since: Number(p.enqueued_at), attempts: Number(p.attempts), lastError: p.last_error } : null,
      };
    });
    out.push({
      contactId: id,
      contact: contact ?? null,
      versions,
      systems: sys,
      conflicts: conflicts.map((c) => ({ id: c.id, open: c.resolvedAt == null, a: c.a.system, b: c.b.system, reason: c.reason, createdAt: c.createdAt })),
    });
  }
  return { personId, contacts: out };
}
