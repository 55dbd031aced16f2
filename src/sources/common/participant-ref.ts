import type { ParticipantRef } from '../source-event.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function looksLikeEmail(value: string): boolean {
  return EMAIL.test(value.trim());
}

/**
 * A raw identifier from a messaging source (an iMessage handle, an SMS address) as a
 * ParticipantRef: emails lower-cased, anything else kept as a phone exactly as the source wrote
 * it (phase 1 normalises phones with the self's default region, which parsers do not know).
 */
export function refFromIdentifier(id: string, name?: string): ParticipantRef {
  const raw = id.trim();
  const ref: ParticipantRef = looksLikeEmail(raw) ? { email: raw.toLowerCase(), handle: raw } : { phone: raw, handle: raw };
  if (name) ref.name = name;
  return ref;
}
