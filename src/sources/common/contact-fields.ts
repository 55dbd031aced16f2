/**
 * Field cleaners shared by the contact sources (vCard, Google CSV, LinkedIn): they keep values
 * as the source wrote them except for what is safe everywhere (case of emails, URL shape).
 * Phones stay as written: phase 1 normalises them with the self's default region.
 */

export function cleanEmails(values: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const v of values) {
    const e = v.replace(/^mailto:/i, '').trim().toLowerCase();
    if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(e)) out.add(e);
  }
  return [...out];
}

export function cleanPhones(values: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const v of values) {
    const p = v.replace(/^tel:/i, '').trim();
    if (/\d/.test(p)) out.add(p);
  }
  return [...out];
}

/**
 * A LinkedIn profile URL in one canonical form (`https://www.linkedin.com/in/<slug>`), so the
 * same person found in Connections.csv, messages.csv and a vCard URL carries the same handle.
 * Null for anything that is not a member profile.
 */
export function linkedInProfile(raw: string | undefined): string | null {
  if (!raw) return null;
  const m = /^(?:https?:\/\/)?(?:[a-z]{2,3}\.|www\.)?linkedin\.com\/in\/([^/?#\s]+)/i.exec(raw.trim());
  if (!m) return null;
  let slug = m[1]!;
  try {
    slug = decodeURIComponent(slug);
  } catch {
    // keep the raw slug
  }
  return `https://www.linkedin.com/in/${slug.toLowerCase()}`;
}

/** "First Middle Last" from parts, blanks dropped; undefined when nothing is left. */
export function joinName(...parts: Array<string | undefined>): string | undefined {
  const s = parts.map((p) => p?.trim() ?? '').filter(Boolean).join(' ');
  return s || undefined;
}
