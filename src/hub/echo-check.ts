import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { SystemName } from '../contacts/canonical-contact.js';
import { type ContactLink, findLinkByExternalId, getLink } from '../contacts/contact-links.store.js';
import type { SystemContact } from '../contacts/contact-system.js';
import type { Queryable } from '../db/db.js';
import { isEcho } from '../domain/contacts/echo-detector.js';
import { expectedEcho } from './echo-intents.js';
import { linkHashOf } from './system-view.js';

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

/**
 * The contact id when `carried` (a record as a webhook carried it) is Kith's last write to its
 * system coming back — its hash equals the link's — else undefined. Used by the inbound worker
 * and, for systems whose records map without a lookup, by the webhook route itself, so an echo
 * costs no job at all. With `intents` (the route), the intent Kith recorded before writing
 * counts too (echo-intents.ts).
 */
export async function echoOf(db: Queryable, carried: SystemContact, intents?: { redis: Redis; prefix: string }): Promise<string | undefined> {
  const { contactId, link } = await resolveLink(db, carried);
  const hash = linkHashOf(carried);
  if (isEcho(hash, link, carried.version)) return contactId;
  // A write's intent: its echo often arrives before the worker has recorded the link.
  if (intents && isEcho(hash, await expectedEcho(intents.redis, intents.prefix, carried.system, contactId), carried.version)) return contactId;
  return undefined;
}
