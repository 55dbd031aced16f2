import type { Db } from '../db/db.js';
import type { CanonicalContact, SystemName } from '../hub/domain/canonical-contact.js';
import { getLinks } from '../hub/stores/contact-links.store.js';
import { listConflicts } from '../hub/stores/sync-conflicts.store.js';
import { LocalCanonicalStore } from '../systems/local/local-canonical.store.js';

/**
 * A person's contact trail, from what the hub keeps: the canonical record holds only its
 * current version (who made the last change and when); earlier versions survive only where a
 * conflict recorded both sides; each system's link says which version Kith last wrote or read
 * there, and the outbox which version is still on its way. Nothing more is invented.
 */
export interface TrailVersion {
  version: number | null;
  at: string;
  /** The system the change came from. */
  by: string;
  /** `canonical` for the current record, `conflict <id>` for a side a conflict recorded. */
  seenIn: string;
  deleted: boolean;
}

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

export async function contactTrail(db: Db, personId: string, systems: { canonical: SystemName; targets: readonly SystemName[] }): Promise<{ personId: string; contacts: ContactTrail[] }> {
  const ids = await db.all<{ contact_id: string }>('SELECT contact_id FROM contacts WHERE person_id = ? ORDER BY deleted_at IS NOT NULL, contact_id', [personId]);
  const store = new LocalCanonicalStore(db);
  const out: ContactTrail[] = [];
  for (const { contact_id: id } of ids) {
    const [contact, links, mine, conflicts] = await Promise.all([
      store.get(id),
      getLinks(db, id),
      db.all<{ target: string; version: number; enqueued_at: number; attempts: number; last_error: string | null }>(
        'SELECT target, version, enqueued_at, attempts, last_error FROM contact_outbox WHERE contact_id = ? AND done_at IS NULL',
        [id],
      ),
      listConflicts(db, { all: true, contactId: id }),
    ]);
    const versions: TrailVersion[] = [];
    if (contact) {
      const m = contact.sync_metadata;
      versions.push({ version: m.version, at: m.last_updated, by: m.last_updated_by, seenIn: 'canonical', deleted: contact.deleted_at != null });
    }
    for (const c of conflicts) {
      for (const s of [c.a, c.b]) versions.push({ version: s.version, at: s.updatedAt, by: s.system, seenIn: `conflict ${c.id}`, deleted: s.deletedAt != null });
    }
    versions.sort((x, y) => (y.version ?? -1) - (x.version ?? -1) || y.at.localeCompare(x.at));
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
