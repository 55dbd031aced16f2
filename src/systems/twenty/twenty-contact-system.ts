import type { CanonicalContact } from '../../hub/domain/canonical-contact.js';
import type { ChangePage, ContactRef, ContactSystem, SystemContact, UpsertOutcome } from '../../hub/ports/contact-system.js';
import { stableStringify } from '../../hub/domain/content-hash.js';
import { projectFields } from '../../hub/domain/contact-content.js';
import { CursorInvalidError, InvalidInputError, isKithError } from '../../errors.js';
import { toTwentyPerson, type TwentyMapping, twentyFieldKeys, twentySystemContact, twentyView } from './person.mapper.js';
import { TWENTY_BATCH_LIMIT, TWENTY_PAGE_LIMIT, type TwentyClient } from './twenty-client.js';
import { TWENTY_DUPLICATE } from './twenty-errors.js';
import { type TwentyPerson, type TwentyPersonInput, twentyPerson } from './twenty-person.js';

/** Mentioning deletedAt makes Twenty include soft-deleted records (a plain list hides them). */
const WITH_DELETED = 'or(deletedAt[is]:NULL,deletedAt[is]:NOT_NULL)';
const ORDER = 'updatedAt[AscNullsFirst],id[AscNullsFirst]';
const q = (v: string) => JSON.stringify(v);
/** Guard for the paging loops: far beyond any real page count, so a server bug cannot spin us forever. */
const MAX_PAGES = 100_000;

/** Listing cursor: the last record seen as `updatedAt|id` (ids break ties on equal timestamps). */
export function encodeTwentyCursor(updatedAt: string, id: string): string {
  return `${updatedAt}|${id}`;
}

export function decodeTwentyCursor(cursor: string): { updatedAt: string; ms: number; id: string } {
  const bar = cursor.indexOf('|');
  const updatedAt = cursor.slice(0, bar);
  const ms = Date.parse(updatedAt);
  if (bar < 1 || Number.isNaN(ms) || bar === cursor.length - 1) throw new CursorInvalidError(`Twenty cursor '${cursor}' is not 'updatedAt|id'`, 'twenty_cursor');
  return { updatedAt, ms, id: cursor.slice(bar + 1) };
}

/**
 * Twenty as a ContactSystem. Kith creates each person with `id = contact_id`, so a retried
 * create cannot duplicate (a create that meets an existing id becomes an update) and
 * `contactId === externalId` for every person Kith made; a person created in Twenty keeps its
 * own UUID, which the caller may adopt as the new contact id unless the link table says
 * otherwise. Companies are matched by exact name and created when missing.
 */
export class TwentyContactSystem implements ContactSystem {
  readonly name = 'twenty' as const;
  readonly keepsVersion = false;

  /** A subset through a lossy mapping, round-tripped: what Twenty will hand back. */
  view(c: CanonicalContact) {
    return twentyView(c, this.mapping);
  }
  private readonly companyNameById = new Map<string, string>();
  /** Promises, so concurrent lookups of one new company create it once. */
  private readonly companyIdByName = new Map<string, Promise<string>>();

  constructor(
    readonly client: TwentyClient,
    private readonly mapping: TwentyMapping = {},
  ) {}

  async get(ref: { contactId?: string; externalId?: string }): Promise<SystemContact | undefined> {
    const id = ref.externalId ?? ref.contactId;
    if (!id) throw new InvalidInputError('Twenty get: needs contactId or externalId', 'twenty_ref');
    const page = await this.client.listPeople({ filter: `and(${WITH_DELETED},id[eq]:${q(id)})`, limit: 1, depth: 1 });
    const p = page.people[0];
    return p ? this.toSystemContact(p) : undefined;
  }

  /** People by Twenty id (the link's external id, else the contact id), one filtered list per 60. */
  async getCopies(refs: readonly ContactRef[]): Promise<Map<string, SystemContact>> {
    const found = await this.fetchByIds(refs.map((r) => r.externalId ?? r.contactId));
    const out = new Map<string, SystemContact>();
    for (const r of refs) {
      const p = found.get(r.externalId ?? r.contactId);
      if (p) out.set(r.contactId, await this.toSystemContact(p));
    }
    return out;
  }

  /** A webhook's `record` (a person without relations) as a SystemContact; the company is looked up by id. */
  async fromRecord(record: unknown): Promise<SystemContact> {
    const r = twentyPerson.safeParse(record);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      throw new InvalidInputError(`Twenty person record: ${issue.path.join('.') || 'record'}: ${issue.message}`, 'twenty_bad_record');
    }
    return this.toSystemContact(r.data);
  }

  async listChanged(cursor: string | undefined, limit: number): Promise<ChangePage> {
    const after = cursor ? decodeTwentyCursor(cursor) : undefined;
    const filter = after
      ? `and(${WITH_DELETED},or(updatedAt[gt]:${q(after.updatedAt)},and(updatedAt[eq]:${q(after.updatedAt)},id[gt]:${q(after.id)})))`
      : WITH_DELETED;
    const out: SystemContact[] = [];
    let startingAfter: string | undefined;
    let hasNextPage = true;
    for (let pages = 0; out.length < limit && hasNextPage; pages++) {
      if (pages >= MAX_PAGES) throw new CursorInvalidError('Twenty listing did not end: pagination cursor never advanced', 'twenty_cursor');
      const page = await this.client.listPeople({ filter, orderBy: ORDER, limit: Math.min(TWENTY_PAGE_LIMIT, limit - out.length), startingAfter, depth: 1 });
      for (const p of page.people) {
        // Server timestamps may carry more precision than the ISO text we keep: drop the boundary again.
        const ms = Date.parse(p.updatedAt);
        if (after && (ms < after.ms || (ms === after.ms && p.id <= after.id))) continue;
        out.push(await this.toSystemContact(p));
      }
      hasNextPage = page.hasNextPage && page.people.length > 0 && page.endCursor !== undefined;
      startingAfter = page.endCursor;
    }
    const last = out.at(-1);
    return { contacts: out, cursor: last ? encodeTwentyCursor(last.updatedAt, last.externalId) : cursor, done: !hasNextPage };
  }

  async upsertMany(contacts: readonly CanonicalContact[], externalIds?: ReadonlyMap<string, string>): Promise<UpsertOutcome[]> {
    const idOf = (c: CanonicalContact) => externalIds?.get(c.contact_id) ?? c.contact_id;
    const existing = await this.fetchByIds(contacts.map(idOf));
    const outcomes: UpsertOutcome[] = [];
    const creates: CanonicalContact[] = [];
    for (const c of contacts) {
      const id = idOf(c);
      const current = existing.get(id);
      if (!current) {
        if (c.deleted_at != null) outcomes.push({ contactId: c.contact_id, externalId: id, action: 'unchanged' });
        else creates.push(c);
        continue;
      }
      const mapped = await this.toSystemContact(current);
      const same = sameContent(mapped.fields, twentyView(c, this.mapping), this.mapping);
      const wantDeleted = c.deleted_at != null;
      const isDeleted = current.deletedAt != null;
      if (same && wantDeleted === isDeleted) {
        outcomes.push({ contactId: c.contact_id, externalId: id, action: 'unchanged' });
        continue;
      }
      if (isDeleted && !wantDeleted) await this.client.restorePerson(id);
      if (!same) await this.client.updatePerson(id, withoutId(await this.toInput(c)));
      if (wantDeleted && !isDeleted) await this.client.softDeletePerson(id);
      outcomes.push({ contactId: c.contact_id, externalId: id, action: 'updated' });
    }
    outcomes.push(...(await this.create(creates, idOf)));
    return outcomes;
  }

  async softDelete(refs: readonly { contactId: string; externalId?: string }[], _at: string): Promise<void> {
    // Twenty stamps deletedAt itself; an unknown or already-removed person is already "deleted".
    for (const r of refs) {
      try {
        await this.client.softDeletePerson(r.externalId ?? r.contactId);
      } catch (err) {
        if (!(isKithError(err) && err.kind === 'not_found')) throw err;
      }
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async create(creates: CanonicalContact[], idOf: (c: CanonicalContact) => string): Promise<UpsertOutcome[]> {
    const outcomes: UpsertOutcome[] = [];
    for (let i = 0; i < creates.length; i += TWENTY_BATCH_LIMIT) {
      const chunk = creates.slice(i, i + TWENTY_BATCH_LIMIT);
      const inputs = await Promise.all(chunk.map(async (c) => ({ ...(await this.toInput(c)), id: idOf(c) })));
      try {
        await this.client.createPeople(inputs);
        for (const c of chunk) outcomes.push({ contactId: c.contact_id, externalId: idOf(c), action: 'created' });
      } catch (err) {
        if (!(isKithError(err) && err.code === TWENTY_DUPLICATE)) throw err;
        // A batch is all-or-nothing; one id already exists (a retried create): go one by one.
        for (const [k, c] of chunk.entries()) outcomes.push(await this.createOrUpdate(c, inputs[k]!));
      }
    }
    return outcomes;
  }

  private async createOrUpdate(c: CanonicalContact, input: TwentyPersonInput & { id: string }): Promise<UpsertOutcome> {
    try {
      await this.client.createPerson(input);
      return { contactId: c.contact_id, externalId: input.id, action: 'created' };
    } catch (err) {
      if (!(isKithError(err) && err.code === TWENTY_DUPLICATE)) throw err;
      const [outcome] = await this.upsertMany([c], new Map([[c.contact_id, input.id]]));
      return outcome!;
    }
  }

  private async fetchByIds(ids: readonly string[]): Promise<Map<string, TwentyPerson>> {
    const found = new Map<string, TwentyPerson>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += TWENTY_PAGE_LIMIT) {
      const chunk = unique.slice(i, i + TWENTY_PAGE_LIMIT);
      const page = await this.client.listPeople({ filter: `and(${WITH_DELETED},id[in]:[${chunk.map(q).join(',')}])`, limit: chunk.length, depth: 1 });
      for (const p of page.people) found.set(p.id, p);
    }
    return found;
  }

  private async toInput(c: CanonicalContact): Promise<TwentyPersonInput> {
    return toTwentyPerson(c, c.company?.trim() ? await this.ensureCompany(c.company.trim()) : null, undefined, this.mapping);
  }

  private async toSystemContact(p: TwentyPerson): Promise<SystemContact> {
    let companyName: string | null = null;
    if (p.company?.name != null) companyName = p.company.name;
    else if (p.companyId) companyName = await this.companyName(p.companyId);
    if (p.companyId && companyName != null) this.remember(p.companyId, companyName);
    return twentySystemContact(p, companyName, this.mapping);
  }

  private async companyName(id: string): Promise<string | null> {
    const known = this.companyNameById.get(id);
    if (known !== undefined) return known;
    const company = await this.client.getCompany(id);
    const name = company?.name?.trim() || null;
    if (name) this.remember(id, name);
    return name;
  }

  private ensureCompany(name: string): Promise<string> {
    let id = this.companyIdByName.get(name);
    if (!id) {
      id = (async () => {
        const company = (await this.client.findCompanyByName(name)) ?? (await this.client.createCompany(name));
        this.companyNameById.set(company.id, name);
        return company.id;
      })();
      // A failed lookup must not stay cached.
      id.catch(() => this.companyIdByName.delete(name));
      this.companyIdByName.set(name, id);
    }
    return id;
  }

  private remember(id: string, name: string): void {
    this.companyNameById.set(id, name);
    if (!this.companyIdByName.has(name)) this.companyIdByName.set(name, Promise.resolve(id));
  }
}

function withoutId(input: TwentyPersonInput): Omit<TwentyPersonInput, 'id'> {
  const { id: _id, ...rest } = input;
  return rest;
}

function sameContent(a: Parameters<typeof projectFields>[0], b: Parameters<typeof projectFields>[0], m: TwentyMapping): boolean {
  const keys = twentyFieldKeys(m);
  return stableStringify(projectFields(a, keys)) === stableStringify(projectFields(b, keys));
}
