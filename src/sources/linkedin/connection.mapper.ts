import type { ContactEvent } from '../source-event.js';
import { cleanEmails, joinName, linkedInProfile } from '../common/contact-fields.js';
import { stableId } from '../common/stable-id.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** "Connected On" as LinkedIn writes it ("12 Jan 2023") → epoch ms at UTC midnight. */
export function parseConnectedOn(raw: string): number | undefined {
  const m = /^(\d{1,2})[ -]([A-Za-z]{3})[a-z]*[ -](\d{4})$/.exec(raw.trim());
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[2]!.toLowerCase());
  if (month < 0) return undefined;
  const t = Date.UTC(+m[3]!, month, +m[1]!);
  return new Date(t).getUTCDate() === +m[1]! ? t : undefined;
}

export interface ConnectionRow {
  first: string;
  last: string;
  url: string;
  email: string;
  company: string;
  position: string;
  connectedOn: string;
}

/** A connection → ContactEvent keyed by the profile URL (the handle other sources share). */
export function connectionToContact(r: ConnectionRow): ContactEvent | string {
  const name = joinName(r.first, r.last);
  const profile = linkedInProfile(r.url);
  if (!name && !profile) return 'connection has no name and no profile URL';
  const ev: ContactEvent = {
    kind: 'contact',
    sourceType: 'linkedin',
    externalId: profile ?? stableId('linkedin', name, r.company),
    emails: cleanEmails([r.email]),
    phones: [],
  };
  if (name) ev.name = name;
  if (r.company.trim()) ev.company = r.company.trim();
  if (r.position.trim()) ev.jobTitle = r.position.trim();
  if (profile) ev.handles = [profile];
  const ts = parseConnectedOn(r.connectedOn);
  if (ts !== undefined) ev.timestamp = ts;
  return ev;
}
