import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';
import type { ParticipantRef } from './interaction-event.js';

/**
 * Identity keys. Linking is deterministic on exact normalised keys:
 *   email:<address>       lower-cased, trimmed, display-name form `"Ada" <ADA@x.org>` reduced to the address
 *   phone:<E.164>         via libphonenumber-js with a default region for national numbers
 *   handle:<source>:<id>  source-scoped (a Slack user id means nothing outside Slack)
 *   url:<profile URL>     global: a LinkedIn profile URL is the same person in every source
 *   name:<name>           weak: used only when a participant has nothing else
 * A participant's *entity key* (its source entity's external id, and the suffix of its
 * interactions' external ids) is its first key in the order handle, email, phone, name.
 */
export interface SelfIdentity {
  emails: string[];
  phones: string[];
  /** Display names self appears under where a source has nothing else (WhatsApp export text). */
  names?: string[];
  /** Source-scoped handles of self (Slack user id, LinkedIn profile URL, …). */
  handles?: string[];
}

const ADDRESS_IN_ANGLES = /<\s*([^<>\s]+@[^<>\s]+)\s*>/;

/** `"Ada L." <ADA@X.org>` → { address: 'ada@x.org', name: 'Ada L.' }; null when there is no address. */
export function parseEmailAddress(raw: string): { address: string; name?: string } | null {
  let s = raw.trim();
  if (!s) return null;
  let name: string | undefined;
  const m = ADDRESS_IN_ANGLES.exec(s);
  if (m) {
    name = s.slice(0, m.index).trim().replace(/^"(.*)"$/, '$1').replace(/\\"/g, '"').trim() || undefined;
    s = m[1]!;
  }
  s = s.replace(/^mailto:/i, '').trim().toLowerCase();
  const at = s.lastIndexOf('@');
  if (at <= 0 || at === s.length - 1 || /\s/.test(s)) return null;
  return name ? { address: s, name } : { address: s };
}

export function normaliseEmail(raw: string): string | null {
  return parseEmailAddress(raw)?.address ?? null;
}

/** E.164, or null when the text cannot be a phone number in `region`. */
export function normalisePhone(raw: string, region: CountryCode = 'US'): string | null {
  const key = `${region}\u0000${raw}`;
  const hit = phoneMemo.get(key);
  if (hit !== undefined) return hit;
  const s = raw.trim().replace(/^tel:/i, '');
  const p = /\d/.test(s) ? parsePhoneNumberFromString(s, region) : undefined;
  const out = p && p.isPossible() ? p.number : null;
  if (phoneMemo.size >= PHONE_MEMO_MAX) phoneMemo.clear();
  phoneMemo.set(key, out);
  return out;
}

/**
 * libphonenumber costs ~40 µs a parse and a call log repeats the same few thousand numbers
 * hundreds of times: remember results (a pure function of raw text and region), bounded.
 */
const PHONE_MEMO_MAX = 50_000;
const phoneMemo = new Map<string, string | null>();

/** Exact-match form of a name: Unicode NFKC, lower case, inner whitespace collapsed, quotes dropped. */
export function normaliseName(raw: string): string {
  return raw
    .normalize('NFKC')
    .replace(/^["'\s]+|["'\s]+$/g, '')
    .replace(/\s+/g, ' ')
    .toLowerCase();
}

export interface ParticipantKeys {
  /** Entity key: the source entity's external id; null when the participant has no usable identifier. */
  entityKey: string | null;
  /** Strong keys that may link across sources (email, phone) or within one (handle). */
  strong: string[];
  nameKey: string | null;
  email: string | null;
  phone: string | null;
  /** Display name, from `name` or the email's display-name form. */
  name: string | null;
}

/**
 * The key of a handle. A profile URL (LinkedIn, …) names the same person in every source that
 * carries it (a vCard URL, a Google contact's website, the LinkedIn export), so it is global:
 * `url:<normalised URL>`. Any other handle is source-scoped: `handle:<source>:<id>`.
 */
export function handleKey(source: string, raw: string): string {
  const h = raw.trim();
  const url = /^(https?:\/\/)?(www\.)?([a-z0-9.-]+\.[a-z]{2,})(\/[^?#]*)?/i.exec(h);
  if (url && (url[1] || /linkedin\.com$/i.test(url[3]!))) {
    const path = (url[4] ?? '').replace(/\/+$/, '');
    return `url:${url[3]!.toLowerCase()}${decodeURI(path).toLowerCase()}`;
  }
  return `handle:${source}:${h}`;
}

export function participantKeys(source: string, ref: ParticipantRef, region: CountryCode = 'US'): ParticipantKeys {
  const parsed = ref.email ? parseEmailAddress(ref.email) : null;
  const email = parsed?.address ?? null;
  const phone = ref.phone ? normalisePhone(ref.phone, region) : null;
  const handle = ref.handle?.trim() ? handleKey(source, ref.handle) : null;
  const name = ref.name?.trim() || parsed?.name || null;
  const nameKey = name ? normaliseName(name) || null : null;
  const strong = [handle, email && `email:${email}`, phone && `phone:${phone}`].filter((k): k is string => !!k);
  const entityKey = strong[0] ?? (nameKey ? `name:${nameKey}` : null);
  return { entityKey, strong, nameKey, email, phone, name };
}

type SelfPredicate = (ref: ParticipantRef | undefined) => boolean;
const matchers = new WeakMap<SelfIdentity, Map<string, SelfPredicate>>();

/** A predicate "is this participant me?", built once per self identity object and region. */
export function selfMatcher(self: SelfIdentity, region: CountryCode = 'US'): SelfPredicate {
  let byRegion = matchers.get(self);
  if (!byRegion) matchers.set(self, (byRegion = new Map()));
  let m = byRegion.get(region);
  if (!m) byRegion.set(region, (m = buildSelfMatcher(self, region)));
  return m;
}

function buildSelfMatcher(self: SelfIdentity, region: CountryCode): SelfPredicate {
  const emails = new Set(self.emails.map((e) => normaliseEmail(e)).filter((e): e is string => !!e));
  const phones = new Set(self.phones.map((p) => normalisePhone(p, region)).filter((p): p is string => !!p));
  const names = new Set((self.names ?? []).map(normaliseName).filter(Boolean));
  const handles = new Set((self.handles ?? []).map((h) => h.trim().toLowerCase()).filter(Boolean));
  return (ref) => {
    if (!ref) return false;
    if (ref.handle && handles.has(ref.handle.trim().toLowerCase())) return true;
    // A bare name is self only when the source gives nothing stronger to go on.
    if (ref.name && !ref.email && !ref.phone && !ref.handle && names.has(normaliseName(ref.name))) return true;
    if (ref.email) {
      const e = normaliseEmail(ref.email);
      if (e && emails.has(e)) return true;
    }
    if (ref.phone) {
      const p = normalisePhone(ref.phone, region);
      if (p && phones.has(p)) return true;
    }
    return false;
  };
}
