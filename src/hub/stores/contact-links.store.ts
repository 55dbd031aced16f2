import { placeholders, type Queryable } from '../../db/db.js';
import { inList } from '../../db/sql-lists.js';
import type { LinkState } from '../domain/echo-detector.js';
import { InvalidInputError } from '../../errors.js';
import type { SystemName } from '../domain/canonical-contact.js';

/** One contact's identity in one system, and what Kith last wrote there (for echo suppression). */
export interface ContactLink extends LinkState {
  contactId: string;
  system: SystemName;
  externalId: string;
  /** Epoch ms of Kith's last successful write or read-confirmation. */
  lastSyncedAt: number | null;
}

interface LinkRow {
  contact_id: string;
  system: string;
  external_id: string;
  last_hash: string | null;
  last_version: number | null;
  last_synced_at: number | null;
}

const toLink = (r: LinkRow): ContactLink => ({
  contactId: r.contact_id,
  system: r.system as SystemName,
  externalId: r.external_id,
  lastHash: r.last_hash,
  lastVersion: r.last_version == null ? null : Number(r.last_version),
  lastSyncedAt: r.last_synced_at == null ? null : Number(r.last_synced_at),
});

/** Every system link of one contact, by system name. */
export async function getLinks(q: Queryable, contactId: string): Promise<ContactLink[]> {
  return (await q.all<LinkRow>('SELECT * FROM contact_links WHERE contact_id = ? ORDER BY system', [contactId])).map(toLink);
}

export async function getLink(q: Queryable, contactId: string, system: SystemName): Promise<ContactLink | undefined> {
  const r = await q.get<LinkRow>('SELECT * FROM contact_links WHERE contact_id = ? AND system = ?', [contactId, system]);
  return r && toLink(r);
}

/** One system's links of many contacts, by contact id, in one query (batch pushes). */
export async function getLinksFor(q: Queryable, contactIds: readonly string[], system: SystemName): Promise<Map<string, ContactLink>> {
  const ids = inList(q, 'contact_id', [...new Set(contactIds)]);
  const rows = await q.all<LinkRow>(`SELECT * FROM contact_links WHERE system = ? AND ${ids.sql}`, [system, ...ids.params]);
  return new Map(rows.map((r) => [r.contact_id, toLink(r)]));
}

/** The contact a system's record belongs to (webhooks carry only the system's id). */
export async function findLinkByExternalId(q: Queryable, system: SystemName, externalId: string): Promise<ContactLink | undefined> {
  const r = await q.get<LinkRow>('SELECT * FROM contact_links WHERE system = ? AND external_id = ?', [system, externalId]);
  return r && toLink(r);
}

/** findLinkByExternalId for many ids of one system, by external id, in one query per 500 ids. */
export async function findLinksByExternalIds(q: Queryable, system: SystemName, externalIds: readonly string[]): Promise<Map<string, ContactLink>> {
  const out = new Map<string, ContactLink>();
  const ids = [...new Set(externalIds)];
  for (let i = 0; i < ids.length; i += 500) {
    const l = inList(q, 'external_id', ids.slice(i, i + 500));
    for (const r of await q.all<LinkRow>(`SELECT * FROM contact_links WHERE system = ? AND ${l.sql}`, [system, ...l.params])) out.set(r.external_id, toLink(r));
  }
  return out;
}

export interface LinkWrite {
  contactId: string;
  system: SystemName;
  externalId: string;
  /** hashForSystem(canonical, fields the system holds) of what was written; null = unknown. */
  hash: string | null;
  version: number | null;
  at: number;
}

/** Rows per multi-row statement (6 parameters each). */
const WRITE_CHUNK = 500;

/**
 * Record (upsert on contact + system) that Kith wrote `hash`/`version` to a system. Call it in
 * the same step as the write succeeds — before the system's webhook can arrive is not required:
 * a webhook processed earlier is simply not recognised as an echo and then merges as
 * 'same_content' (no write). A system id already linked to another contact is an
 * InvalidInputError naming both contacts.
 */
export async function recordLink(q: Queryable, link: LinkWrite): Promise<void> {
  await recordLinks(q, [link]);
}

export async function recordLinks(q: Queryable, links: readonly LinkWrite[]): Promise<void> {
  if (!links.length) return;
  // Who holds these system ids now: one query per system.
  const holders = new Map<string, string>();
  for (const system of new Set(links.map((l) => l.system))) {
    const ids = inList(q, 'external_id', [...new Set(links.filter((l) => l.system === system).map((l) => l.externalId))]);
    for (const r of await q.all<LinkRow>(`SELECT * FROM contact_links WHERE system = ? AND ${ids.sql}`, [system, ...ids.params])) holders.set(`${system}|${r.external_id}`, r.contact_id);
  }
  for (const l of links) {
    const other = holders.get(`${l.system}|${l.externalId}`);
    if (other !== undefined && other !== l.contactId) {
      throw new InvalidInputError(`externalId: ${l.system} id ${l.externalId} is linked to contact ${other}, not ${l.contactId}`);
    }
  }
  // One row per contact and system (the last one wins, as writing them in turn would): a
  // multi-row upsert may not touch a row twice. A few statements, not one round trip per link.
  const rows = [...new Map(links.map((l) => [`${l.contactId}|${l.system}`, [l.contactId, l.system, l.externalId, l.hash, l.version, l.at]])).values()];
  for (let i = 0; i < rows.length; i += WRITE_CHUNK) {
    const part = rows.slice(i, i + WRITE_CHUNK);
    await q.run(
      `INSERT INTO contact_links (contact_id, system, external_id, last_hash, last_version, last_synced_at) VALUES ${placeholders(part.length, 6)}
       ON CONFLICT (contact_id, system) DO UPDATE SET external_id = excluded.external_id, last_hash = excluded.last_hash,
         last_version = excluded.last_version, last_synced_at = excluded.last_synced_at`,
      part.flat(),
    );
  }
}
