import { randomUUID } from 'node:crypto';
import { type FilterNode, idConstraint, matches, mentionsField } from './twenty-filter.js';

/**
 * In-memory Twenty workspace: people and companies with Twenty's record shapes, server-stamped
 * createdAt/updatedAt/deletedAt (soft delete bumps updatedAt, as TypeORM's softDelete does),
 * and a change callback that the emulator turns into webhooks.
 */
export type ObjectName = 'person' | 'company';
export type TwentyRecord = Record<string, unknown> & { id: string; createdAt: string; updatedAt: string; deletedAt: string | null };
export type ChangeAction = 'created' | 'updated' | 'deleted' | 'destroyed' | 'restored';
export interface ChangeEvent {
  object: ObjectName;
  action: ChangeAction;
  record: TwentyRecord;
  updatedFields?: string[];
}

export class StoreError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COMPOSITES = new Set(['name', 'emails', 'phones', 'linkedinLink', 'xLink', 'createdBy', 'domainName']);
const SERVER_FIELDS = new Set(['createdAt', 'updatedAt', 'deletedAt', 'createdBy']);

function blankPerson(): Record<string, unknown> {
  return {
    name: { firstName: '', lastName: '' },
    emails: { primaryEmail: '', additionalEmails: null },
    phones: { primaryPhoneNumber: '', primaryPhoneCountryCode: '', primaryPhoneCallingCode: '', additionalPhones: null },
    linkedinLink: { primaryLinkUrl: '', primaryLinkLabel: '', secondaryLinks: null },
    xLink: { primaryLinkUrl: '', primaryLinkLabel: '', secondaryLinks: null },
    jobTitle: '',
    city: '',
    avatarUrl: '',
    position: 0,
    companyId: null,
  };
}

function blankCompany(): Record<string, unknown> {
  return { name: '', domainName: { primaryLinkUrl: '', primaryLinkLabel: '', secondaryLinks: null }, employees: null, position: 0 };
}

export const PERSON_FIELDS: ReadonlySet<string> = new Set(['id', ...Object.keys(blankPerson()), 'createdAt', 'updatedAt', 'deletedAt', 'createdBy']);
export const COMPANY_FIELDS: ReadonlySet<string> = new Set(['id', ...Object.keys(blankCompany()), 'createdAt', 'updatedAt', 'deletedAt', 'createdBy']);

export interface ListQuery {
  filter?: FilterNode;
  orderBy: { field: string; asc: boolean; nullsFirst: boolean }[];
  limit: number;
  startingAfter?: unknown[];
}

export class TwentyStore {
  readonly tables: Record<ObjectName, Map<string, TwentyRecord>> = { person: new Map(), company: new Map() };
  private lastMs = 0;
  onChange: (e: ChangeEvent) => void = () => undefined;

  private readonly personFields: Set<string>;
  private readonly customPersonFields: string[];

  /**
   * `clock`: the time records are stamped with (an EmulatorClock's `now`). `customPersonFields`:
   * text fields a workspace added to its people (blank on create, accepted on write).
   */
  constructor(
    private readonly clock: () => number = Date.now,
    customPersonFields: readonly string[] = [],
  ) {
    this.customPersonFields = [...customPersonFields];
    this.personFields = new Set([...PERSON_FIELDS, ...customPersonFields]);
  }

  /** The person fields, standard then custom (what the metadata API lists). */
  personFieldNames(): string[] {
    return [...this.personFields];
  }

  /** A custom text field added through the metadata API: blank on later creates, accepted on write. */
  addPersonField(name: string): void {
    if (this.personFields.has(name)) throw new Error(`field ${name} exists`);
    this.personFields.add(name);
    this.customPersonFields.push(name);
  }

  /** Milliseconds that never go backwards (two writes in one ms share a timestamp, as in Postgres at ms precision). */
  now(): string {
    this.lastMs = Math.max(this.lastMs, this.clock());
    return new Date(this.lastMs).toISOString();
  }

  fields(object: ObjectName): ReadonlySet<string> {
    return object === 'person' ? this.personFields : COMPANY_FIELDS;
  }

  get(object: ObjectName, id: string, withDeleted = false): TwentyRecord | undefined {
    const r = this.tables[object].get(id);
    return r && (withDeleted || r.deletedAt == null) ? structuredClone(r) : undefined;
  }

  /** Validate a whole batch first, then insert it: all or nothing, like one SQL statement. */
  createMany(object: ObjectName, inputs: Record<string, unknown>[], source = 'API'): TwentyRecord[] {
    const table = this.tables[object];
    const ids = new Set<string>();
    for (const input of inputs) {
      this.validate(object, input);
      if (input.id !== undefined) {
        const id = String(input.id);
        if (table.has(id) || ids.has(id)) throw new StoreError(400, `Duplicate entry: a ${object} with id ${id} already exists`);
        ids.add(id);
      }
    }
    const at = this.now();
    const created = inputs.map((input) => {
      const base = object === 'person' ? { ...blankPerson(), ...Object.fromEntries(this.customPersonFields.map((f) => [f, ''])) } : blankCompany();
      const record = { ...base, id: randomUUID() } as TwentyRecord;
      this.apply(record, input);
      Object.assign(record, { position: table.size + 1, createdAt: at, updatedAt: at, deletedAt: null, createdBy: { source, workspaceMemberId: null, name: source === 'API' ? 'API key' : 'Workspace member' } });
      table.set(record.id, record);
      return record;
    });
    for (const r of created) this.onChange({ object, action: 'created', record: structuredClone(r) });
    return created.map((r) => structuredClone(r));
  }

  update(object: ObjectName, id: string, patch: Record<string, unknown>): TwentyRecord {
    const record = this.tables[object].get(id);
    if (!record || record.deletedAt != null) throw new StoreError(404, `Record ${id} not found`);
    this.validate(object, patch);
    if (patch.id !== undefined && patch.id !== id) throw new StoreError(400, 'id cannot be changed');
    const before = structuredClone(record);
    this.apply(record, patch);
    const updatedFields = Object.keys(patch).filter((k) => k !== 'id' && JSON.stringify(before[k]) !== JSON.stringify(record[k]));
    if (updatedFields.length) {
      record.updatedAt = this.now();
      this.onChange({ object, action: 'updated', record: structuredClone(record), updatedFields });
    }
    return structuredClone(record);
  }

  softDelete(object: ObjectName, id: string): TwentyRecord {
    const record = this.tables[object].get(id);
    if (!record || record.deletedAt != null) throw new StoreError(404, `Record ${id} not found`);
    const before = structuredClone(record);
    record.deletedAt = record.updatedAt = this.now();
    // Twenty sends the before-state for deletions.
    this.onChange({ object, action: 'deleted', record: before });
    return structuredClone(record);
  }

  destroy(object: ObjectName, id: string): TwentyRecord {
    const record = this.tables[object].get(id);
    if (!record) throw new StoreError(404, `Record ${id} not found`);
    this.tables[object].delete(id);
    this.onChange({ object, action: 'destroyed', record: structuredClone(record) });
    return structuredClone(record);
  }

  restore(object: ObjectName, id: string): TwentyRecord {
    const record = this.tables[object].get(id);
    if (!record || record.deletedAt == null) throw new StoreError(404, `Deleted record ${id} not found`);
    record.deletedAt = null;
    record.updatedAt = this.now();
    this.onChange({ object, action: 'restored', record: structuredClone(record) });
    return structuredClone(record);
  }

  list(object: ObjectName, q: ListQuery): { records: TwentyRecord[]; hasNextPage: boolean; totalCount: number } {
    const withDeleted = q.filter ? mentionsField(q.filter, 'deletedAt') : false;
    const table = this.tables[object];
    // By key when the filter names the ids (the emulator must stay fast with 10,000+ records).
    const ids = q.filter ? idConstraint(q.filter) : undefined;
    const candidates = ids ? [...new Set(ids)].flatMap((id) => table.get(id) ?? []) : [...table.values()];
    let rows = candidates.filter((r) => (withDeleted || r.deletedAt == null) && (!q.filter || matches(q.filter, r)));
    const key = (r: TwentyRecord) => sortKey(r, q.orderBy);
    rows.sort((a, b) => compareKeys(key(a), key(b), q.orderBy));
    const totalCount = rows.length;
    if (q.startingAfter) rows = rows.filter((r) => compareKeys(key(r), q.startingAfter!, q.orderBy) > 0);
    return { records: rows.slice(0, q.limit).map((r) => structuredClone(r)), hasNextPage: rows.length > q.limit, totalCount };
  }

  private validate(object: ObjectName, input: Record<string, unknown>): void {
    if (!input || typeof input !== 'object' || Array.isArray(input)) throw new StoreError(400, 'Body must be an object');
    const known = this.fields(object);
    for (const k of Object.keys(input)) {
      if (!known.has(k)) throw new StoreError(400, `Object ${object} doesn't have any "${k}" field.`);
      if (SERVER_FIELDS.has(k)) throw new StoreError(400, `Field "${k}" is read-only`);
    }
    if (input.id !== undefined && !(typeof input.id === 'string' && UUID.test(input.id))) throw new StoreError(400, `Invalid UUID: ${String(input.id)}`);
    if (object === 'person' && input.companyId != null && !this.tables.company.has(String(input.companyId))) {
      throw new StoreError(400, `Foreign key violation: company ${String(input.companyId)} does not exist`);
    }
  }

  private apply(record: TwentyRecord, input: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(input)) {
      if (k === 'id') record.id = String(v);
      else if (COMPOSITES.has(k) && v && typeof v === 'object' && record[k] && typeof record[k] === 'object') record[k] = { ...(record[k] as object), ...structuredClone(v) };
      else record[k] = structuredClone(v);
    }
  }
}

function read(r: Record<string, unknown>, field: string): unknown {
  let v: unknown = r;
  for (const p of field.split('.')) v = v != null && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v ?? null;
}

export function sortKey(r: TwentyRecord, orderBy: ListQuery['orderBy']): unknown[] {
  return orderBy.map((o) => read(r, o.field));
}

export function compareKeys(a: unknown[], b: unknown[], orderBy: ListQuery['orderBy']): number {
  for (const [i, o] of orderBy.entries()) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === y) continue;
    if (x === null) return o.nullsFirst ? -1 : 1;
    if (y === null) return o.nullsFirst ? 1 : -1;
    const c = /At$/.test(o.field) ? Date.parse(String(x)) - Date.parse(String(y)) : typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
    if (c !== 0) return o.asc ? c : -c;
  }
  return 0;
}
