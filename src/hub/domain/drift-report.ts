import type { CountryCode } from 'libphonenumber-js';
import type { CanonicalContact, SystemName } from './canonical-contact.js';
import type { SystemContact } from './system-contact.js';
import { compareContacts, type FieldDifference } from './alignment-validator.js';
import { CONTACT_FIELD_KEYS } from './contact-content.js';

export interface SystemDrift {
  system: SystemName;
  /** Canonical contacts this system should hold (live ones, plus deleted ones it has a copy of). */
  expected: number;
  /** Expected contacts whose copy differs (fields or deletion state). */
  differing: number;
  /** Live canonical contacts with no copy in the system (counted in differing too). */
  missing: number;
  /** Records in the system with no canonical contact (not part of the percentage). */
  orphans: number;
  /** 100 × differing / expected, two decimals; 0 when nothing is expected. */
  driftPct: number;
  /** Up to `sampleSize` differing contacts with their differences, by contact id. */
  samples: { contactId: string; differences: FieldDifference[] | 'missing' }[];
}

export interface DriftOptions {
  /** Systems to report even when they returned no records (every contact then counts as missing). */
  systems?: readonly SystemName[];
  region?: CountryCode;
  sampleSize?: number;
}

/**
 * Per system, the share of canonical contacts whose copy differs from canonical (an alert
 * above 5 %). A system's record is compared on the fields it holds only, in normalised
 * form (compareContacts). Records must carry `contactId` (resolve it via contact_links first);
 * those without one count as orphans. Systems are reported in name order.
 */
export function driftReport(canonical: readonly CanonicalContact[], systemRecords: readonly SystemContact[], opts: DriftOptions = {}): SystemDrift[] {
  const sampleSize = opts.sampleSize ?? 10;
  const bySystem = new Map<SystemName, Map<string, SystemContact>>();
  const orphans = new Map<SystemName, number>();
  for (const s of opts.systems ?? []) bySystem.set(s, new Map());
  const known = new Set(canonical.map((c) => c.contact_id));
  for (const r of systemRecords) {
    if (!bySystem.has(r.system)) bySystem.set(r.system, new Map());
    if (!r.contactId || !known.has(r.contactId)) orphans.set(r.system, (orphans.get(r.system) ?? 0) + 1);
    else bySystem.get(r.system)!.set(r.contactId, r);
  }
  const out: SystemDrift[] = [];
  for (const [system, records] of [...bySystem].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const d: SystemDrift = { system, expected: 0, differing: 0, missing: 0, orphans: orphans.get(system) ?? 0, driftPct: 0, samples: [] };
    for (const c of canonical) {
      const r = records.get(c.contact_id);
      if (!r) {
        if (c.deleted_at != null) continue;
        d.expected++;
        d.differing++;
        d.missing++;
        if (d.samples.length < sampleSize) d.samples.push({ contactId: c.contact_id, differences: 'missing' });
        continue;
      }
      d.expected++;
      const held = CONTACT_FIELD_KEYS.filter((k) => r.fields[k] !== undefined);
      const diff = compareContacts(c, { ...r.fields, deleted_at: r.deletedAt }, { fields: held, region: opts.region });
      if (diff.length) {
        d.differing++;
        if (d.samples.length < sampleSize) d.samples.push({ contactId: c.contact_id, differences: diff });
      }
    }
    d.driftPct = d.expected ? Math.round((10000 * d.differing) / d.expected) / 100 : 0;
    out.push(d);
  }
  return out;
}
