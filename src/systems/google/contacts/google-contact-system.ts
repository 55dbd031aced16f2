import type { CanonicalContact } from '../../../hub/domain/canonical-contact.js';
import { stableStringify } from '../../../hub/domain/content-hash.js';
import { projectFields } from '../../../hub/domain/contact-content.js';
import type { ChangePage, ContactSystem, SystemContact, UpsertOptions, UpsertOutcome } from '../../../hub/ports/contact-system.js';
import { CursorInvalidError, InvalidInputError, isKithError } from '../../../errors.js';
import { fromPerson, GOOGLE_FIELD_KEYS, googleSystemContact, googleView, kithIdOf, mergeGoogleEdit, toPerson } from './contact.mapper.js';
import type { PeopleClient, Person } from './people-client.js';
import { isStaleEtag } from './people-errors.js';

/** Writes refused for a stale etag in a row before the contact is left for the next push. */
const MAX_ETAG_RETRIES = 5;
/** How long a copy `get` read serves the write after it (its etag is checked by Google anyway). */
const READ_REUSE_MS = 10_000;

export interface GoogleContactSystemOptions {
  /** Told when the stored sync token had expired and the changes are read from the start. */
  onCursorReset?: (reason: string) => void;
  now?: () => number;
}

interface KithIdIndex {
  byKithId: Map<string, string>;
  syncToken?: string;
}

interface HubCursor {
  v: 1;
  syncToken?: string;
  pageToken?: string;
}

/**
 * Google Contacts (People API) as a ContactSystem of the hub. Google chooses resource names, so
 * each contact carries Kith's contact id in its clientData: a create that is retried finds the
 * contact it made (an index of clientData ids kept current with a sync token of its own). Google
 * keeps no version of Kith's (keepsVersion false): Kith recognises its own writes by the content
 * hash of `view`. Every update sends the etag read last as a compare-and-set: when Google refuses
 * it (the contact was edited there meanwhile), the contact is read again, the fields Google
 * changed keep Google's values, and the write is retried — an edit in Google is never
 * overwritten, and reaches the canonical record when the hub reads it back. A delete moves the
 * contact to Google's trash (kept 30 days). Changes are read with People's sync token; an expired
 * one (7 days) reads every contact again, which costs the hub nothing for unchanged ones.
 */
export class GoogleContactSystem implements ContactSystem {
  readonly name = 'google' as const;
  readonly keepsVersion = false;
  private index?: KithIdIndex;
  private readonly recent = new Map<string, { person: Person; at: number }>();
  private readonly now: () => number;

  constructor(
    readonly people: PeopleClient,
    private readonly o: GoogleContactSystemOptions = {},
  ) {
    this.now = o.now ?? Date.now;
  }

  view(c: CanonicalContact) {
    return googleView(c);
  }

  async get(ref: { contactId?: string; externalId?: string }): Promise<SystemContact | undefined> {
    if (!ref.externalId && !ref.contactId) throw new InvalidInputError('Google contacts get: needs contactId or externalId', 'google_ref');
    const rn = ref.externalId ?? (await this.findByKithId(ref.contactId!));
    if (!rn) return undefined;
    const p = await this.read(rn, true);
    return p ? this.toSystemContact(p) : undefined;
  }

  async listChanged(cursor: string | undefined, limit: number): Promise<ChangePage> {
    let c = cursor ? parseHubCursor(cursor) : { v: 1 as const };
    const pageSize = Math.max(1, Math.min(1000, limit));
    let page;
    try {
      page = await this.people.listConnections({ pageSize, ...(c.syncToken ? { syncToken: c.syncToken } : {}), ...(c.pageToken ? { pageToken: c.pageToken } : {}) });
    } catch (err) {
      if (!(err instanceof CursorInvalidError) || !c.syncToken) throw err;
      this.o.onCursorReset?.(err.message);
      c = { v: 1 };
      page = await this.people.listConnections({ pageSize });
    }
    const contacts = (page.connections ?? []).map((p) => this.toSystemContact(p));
    const next: HubCursor = page.nextPageToken ? { v: 1, ...(c.syncToken ? { syncToken: c.syncToken } : {}), pageToken: page.nextPageToken } : page.nextSyncToken ? { v: 1, syncToken: page.nextSyncToken } : c;
    return { contacts, cursor: JSON.stringify(next), done: !page.nextPageToken };
  }

  async upsertMany(contacts: readonly CanonicalContact[], externalIds?: ReadonlyMap<string, string>, opts: UpsertOptions = {}): Promise<UpsertOutcome[]> {
    const outcomes: UpsertOutcome[] = [];
    for (const c of contacts) {
      // Mutations for one account are sent one after another, as Google asks.
      const known = externalIds?.get(c.contact_id);
      const rn = known ?? (opts.read?.get(c.contact_id) === false ? undefined : await this.findByKithId(c.contact_id));
      const current = rn ? await this.read(rn) : undefined;
      if (!current) {
        if (c.deleted_at != null) {
          outcomes.push({ contactId: c.contact_id, externalId: known ?? '', action: 'unchanged' });
          continue;
        }
        const created = await this.people.create(toPerson(c, c.contact_id));
        this.remember(created, c.contact_id);
        outcomes.push({ contactId: c.contact_id, externalId: created.resourceName!, action: 'created' });
        continue;
      }
      const externalId = current.resourceName!;
      if (c.deleted_at != null) {
        await this.remove(externalId);
        outcomes.push({ contactId: c.contact_id, externalId, action: 'updated' });
        continue;
      }
      const same = sameFields(fromPerson(current), googleView(c)) && kithIdOf(current) === c.contact_id;
      if (same) {
        outcomes.push({ contactId: c.contact_id, externalId, action: 'unchanged' });
        continue;
      }
      await this.update(current, c);
      outcomes.push({ contactId: c.contact_id, externalId, action: 'updated' });
    }
    return outcomes;
  }

  async softDelete(refs: readonly { contactId: string; externalId?: string }[], _at: string): Promise<void> {
    for (const r of refs) {
      const rn = r.externalId ?? (await this.findByKithId(r.contactId));
      if (rn) await this.remove(rn);
    }
  }

  /**
   * Write `c` over `current` with current's etag; on a stale etag read the contact again and keep
   * every field Google changed since `current`, then try again with the new etag.
   */
  private async update(current: Person, c: CanonicalContact): Promise<void> {
    let base = current;
    let want = projectFields(googleView(c), GOOGLE_FIELD_KEYS) as ReturnType<typeof fromPerson>;
    for (let attempt = 0; ; attempt++) {
      try {
        const written = await this.people.update(base.resourceName!, { ...toPerson(want, c.contact_id), etag: base.etag ?? null });
        this.remember(written, c.contact_id);
        return;
      } catch (err) {
        if (!isStaleEtag(err) || attempt >= MAX_ETAG_RETRIES) throw err;
        const theirs = await this.read(base.resourceName!, true);
        if (!theirs) throw err; // deleted in Google meanwhile: the next push decides
        want = mergeGoogleEdit(fromPerson(base), fromPerson(theirs), want);
        base = theirs;
      }
    }
  }

  private async remove(resourceName: string): Promise<void> {
    try {
      await this.people.delete(resourceName);
    } catch (err) {
      if (!(isKithError(err) && err.kind === 'not_found')) throw err; // already gone
    }
    this.recent.delete(resourceName);
  }

  /** The contact as Google holds it now (a copy read moments ago by `get` serves once); undefined when gone. */
  private async read(resourceName: string, fresh = false): Promise<Person | undefined> {
    const r = this.recent.get(resourceName);
    this.recent.delete(resourceName);
    if (!fresh && r && this.now() - r.at < READ_REUSE_MS) return r.person;
    try {
      const p = await this.people.get(resourceName);
      const at = this.now();
      for (const [k, v] of this.recent) if (at - v.at >= READ_REUSE_MS) this.recent.delete(k);
      this.recent.set(resourceName, { person: p, at });
      return p;
    } catch (err) {
      if (isKithError(err) && err.kind === 'not_found') return undefined;
      throw err;
    }
  }

  private toSystemContact(p: Person): SystemContact {
    if (p.resourceName && !p.metadata?.deleted) this.remember(p);
    return googleSystemContact(p, () => new Date(this.now()).toISOString());
  }

  private remember(p: Person, kithId = kithIdOf(p)): void {
    if (kithId && p.resourceName) this.index?.byKithId.set(kithId, p.resourceName);
  }

  /** The resource name of the contact carrying this Kith id, from the index brought up to date first. */
  private async findByKithId(contactId: string): Promise<string | undefined> {
    const index: KithIdIndex = (this.index ??= { byKithId: new Map<string, string>() });
    let pageToken: string | undefined;
    let token = index.syncToken;
    for (;;) {
      let page;
      try {
        page = await this.people.listConnections({ pageSize: 1000, ...(token ? { syncToken: token } : {}), ...(pageToken ? { pageToken } : {}) });
      } catch (err) {
        if (!(err instanceof CursorInvalidError) || !token) throw err;
        index.byKithId.clear();
        token = undefined;
        pageToken = undefined;
        continue;
      }
      for (const p of page.connections ?? []) {
        const id = kithIdOf(p);
        if (p.metadata?.deleted) {
          for (const [k, v] of index.byKithId) if (v === p.resourceName) index.byKithId.delete(k);
        } else if (id && p.resourceName) index.byKithId.set(id, p.resourceName);
      }
      pageToken = page.nextPageToken ?? undefined;
      if (!pageToken) {
        index.syncToken = page.nextSyncToken ?? token;
        break;
      }
    }
    return index.byKithId.get(contactId);
  }
}

function sameFields(a: object, b: object): boolean {
  return stableStringify(projectFields(a as never, GOOGLE_FIELD_KEYS)) === stableStringify(projectFields(b as never, GOOGLE_FIELD_KEYS));
}

function parseHubCursor(raw: string): HubCursor {
  let x: { v?: unknown; syncToken?: unknown; pageToken?: unknown } | null = null;
  try {
    x = JSON.parse(raw) as { v?: unknown; syncToken?: unknown; pageToken?: unknown } | null;
  } catch {
    x = null;
  }
  if (x?.v !== 1) throw new CursorInvalidError(`Google contacts cursor '${raw.slice(0, 40)}' is not one Kith wrote`, 'google_cursor');
  return { v: 1, ...(typeof x.syncToken === 'string' && x.syncToken ? { syncToken: x.syncToken } : {}), ...(typeof x.pageToken === 'string' && x.pageToken ? { pageToken: x.pageToken } : {}) };
}
