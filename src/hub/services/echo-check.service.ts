import { createHash } from 'node:crypto';
import type { SystemName } from '../domain/canonical-contact.js';
import { type ContactLink, findLinkByExternalId, findLinksByExternalIds, getLink, getLinksFor } from '../stores/contact-links.store.js';
import type { SystemContact } from '../ports/contact-system.js';
import type { Queryable } from '../../db/db.js';
import { isEcho } from '../domain/echo-detector.js';
import { echoIntentKey, parseEchoIntent } from '../stores/echo-intents.store.js';
import { linkHashOf } from '../domain/link-hash.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A stable contact id for a record first seen in a system whose id is not a UUID. */
function mintContactId(system: SystemName, externalId: string): string {
  const h = createHash('sha256').update(`${system}|${externalId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The canonical contact id of a system's record: its link, else its own contact id, else one minted from its external id. */
export async function resolveContactId(db: Queryable, s: SystemContact): Promise<string> {
  return (await resolveLink(db, s)).contactId;
}

/**
 * The contact id of a system's record and that contact's link in the system. The link found by
 * the record's external id is that link itself, so a linked record costs one read; an unlinked
 * one a second (its contact may be linked under another id).
 */
export async function resolveLink(db: Queryable, s: SystemContact): Promise<{ contactId: string; link: ContactLink | undefined }> {
  const byExternal = await findLinkByExternalId(db, s.system, s.externalId);
  if (byExternal) return { contactId: byExternal.contactId, link: byExternal };
  const candidate = s.contactId ?? s.externalId;
  const contactId = UUID.test(candidate) ? candidate.toLowerCase() : mintContactId(s.system, s.externalId);
  return { contactId, link: await getLink(db, contactId, s.system) };
}

/** resolveLink for many records at once: a few queries per system, whatever their number. */
export async function resolveLinks(db: Queryable, records: readonly SystemContact[]): Promise<{ contactId: string; link: ContactLink | undefined }[]> {
  const out: { contactId: string; link: ContactLink | undefined }[] = new Array(records.length);
  for (const system of new Set(records.map((r) => r.system))) {
    const mine = records.map((r, i) => [r, i] as const).filter(([r]) => r.system === system);
    const byExternal = await findLinksByExternalIds(db, system, mine.map(([r]) => r.externalId));
    const unlinked: (readonly [SystemContact, number])[] = [];
    for (const [r, i] of mine) {
      const link = byExternal.get(r.externalId);
      if (link) out[i] = { contactId: link.contactId, link };
      else unlinked.push([r, i]);
    }
    const idOf = (r: SystemContact) => {
      const candidate = r.contactId ?? r.externalId;
      return UUID.test(candidate) ? candidate.toLowerCase() : mintContactId(r.system, r.externalId);
    };
    const links = unlinked.length ? await getLinksFor(db, unlinked.map(([r]) => idOf(r)), system) : new Map<string, ContactLink>();
    for (const [r, i] of unlinked) out[i] = { contactId: idOf(r), link: links.get(idOf(r)) };
  }
  return out;
}

/**
 * What the webhook route needs to recognise Kith's last write to a system coming back in a
 * record a webhook carried (`carried`), in two steps so the Redis read can share a round trip
 * with the route's own: `byLink` when its hash equals the link's (one indexed read), else the
 * key of the intent Kith recorded before writing (echo-intents.store.ts; the echo often arrives before
 * the worker has recorded the link) and `byIntent` to judge that key's value.
 */
export interface EchoProbe {
  contactId: string;
  byLink: boolean;
  intentKey: string;
  byIntent(value: string | null | undefined): boolean;
}

export async function probeEcho(db: Queryable, carried: SystemContact, prefix: string): Promise<EchoProbe> {
  const { contactId, link } = await resolveLink(db, carried);
  const hash = linkHashOf(carried);
  return {
    contactId,
    byLink: isEcho(hash, link, carried.version),
    intentKey: echoIntentKey(prefix, carried.system, contactId),
    byIntent: (value) => isEcho(hash, parseEchoIntent(value), carried.version),
  };
}
