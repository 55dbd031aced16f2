import { type CanonicalContact, canonicalContact, type ContactFields, type SystemName, systemName } from './canonical-contact.js';
import { InvalidInputError } from '../../errors.js';
import type { ContactRecord } from './conflict-resolver.js';
import { isContactFieldKey, type ContactFieldKey } from './contact-content.js';

/** One side of a recorded conflict, in one shape whether it was the canonical record or a system's copy. */
export interface ConflictSide {
  system: SystemName;
  version: number | null;
  updatedAt: string;
  fields: Partial<ContactFields>;
  deletedAt: string | null;
}

/** Canonical record or system copy → conflict side. `canonicalSystem` names where a canonical record is held. */
export function conflictSide(r: ContactRecord, canonicalSystem: SystemName = 'local'): ConflictSide {
  if ('sync_metadata' in r) {
    const { contact_id: _id, sync_metadata, deleted_at, ...fields } = r;
    return { system: canonicalSystem, version: sync_metadata.version, updatedAt: sync_metadata.last_updated, fields, deletedAt: deleted_at };
  }
  return { system: r.system, version: r.version ?? null, updatedAt: r.updatedAt, fields: r.fields, deletedAt: r.deletedAt };
}

/** `--take twenty` (whole side) and/or `--take company=supabase emails=twenty` (per field). */
export interface TakeSpec {
  base?: SystemName;
  fields: Partial<Record<ContactFieldKey, SystemName>>;
}

/** Parse take arguments against the two systems of a conflict; errors name the offending argument. */
export function parseTakeSpecs(args: readonly string[], systems: readonly SystemName[]): TakeSpec {
  const spec: TakeSpec = { fields: {} };
  const checkSystem = (s: string, arg: string): SystemName => {
    const parsed = systemName.safeParse(s);
    if (!parsed.success || !systems.includes(parsed.data)) throw new InvalidInputError(`--take ${arg}: '${s}' is not a side of this conflict (${systems.join(' or ')})`);
    return parsed.data;
  };
  for (const raw of args.flatMap((a) => a.split(',')).map((a) => a.trim()).filter(Boolean)) {
    const eq = raw.indexOf('=');
    if (eq < 0) {
      if (spec.base) throw new InvalidInputError(`--take ${raw}: a whole side was already chosen (${spec.base})`);
      spec.base = checkSystem(raw, raw);
      continue;
    }
    const field = raw.slice(0, eq);
    if (!isContactFieldKey(field)) throw new InvalidInputError(`--take ${raw}: '${field}' is not a contact field`);
    spec.fields[field] = checkSystem(raw.slice(eq + 1), raw);
  }
  if (!spec.base && !Object.keys(spec.fields).length) throw new InvalidInputError('--take: name a system or field=system');
  return spec;
}

/**
 * The record a person chose: start from the current canonical record (or, with a whole side
 * taken, from that side's fields and deletion state over it), then apply per-field choices.
 * The version goes above every version involved, so the choice beats both sides everywhere.
 */
export function buildTakenContact(
  contactId: string,
  current: CanonicalContact | undefined,
  sides: readonly [ConflictSide, ConflictSide],
  take: TakeSpec,
  now: string,
): CanonicalContact {
  const side = (s: SystemName) => sides.find((x) => x.system === s)!;
  const next: Record<string, unknown> = current ? { ...current } : {};
  if (take.base) {
    Object.assign(next, side(take.base).fields);
    next.deleted_at = side(take.base).deletedAt;
  } else if (!current) {
    throw new InvalidInputError(`--take: contact ${contactId} has no canonical record yet; choose a whole side first`);
  }
  for (const [field, s] of Object.entries(take.fields) as [ContactFieldKey, SystemName][]) {
    const v = side(s).fields[field];
    if (v === undefined) throw new InvalidInputError(`--take ${field}=${s}: ${s} does not hold ${field}`);
    next[field] = v;
  }
  const versions = [current?.sync_metadata.version ?? 0, ...sides.map((s) => s.version ?? 0)];
  next.contact_id = contactId;
  next.sync_metadata = { version: Math.max(...versions) + 1, last_updated: now, last_updated_by: 'kith' };
  const parsed = canonicalContact.safeParse(next);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidInputError(`${issue.path.join('.') || 'contact'}: ${issue.message} (the chosen combination is not a valid contact)`);
  }
  return parsed.data;
}
