import { randomUUID } from 'node:crypto';
import type { SupabaseClient } from '@supabase/supabase-js';
import type { CanonicalContact } from '../../hub/domain/canonical-contact.js';
import { z } from 'zod';
import type { ChangePage, ContactRef, ContactSystem, GuardedUpsert, SystemContact, UpsertOptions, UpsertOutcome } from '../../hub/ports/contact-system.js';
import { wholeView } from '../../hub/domain/link-hash.js';
import { hashContact } from '../../hub/domain/contact-content.js';
import { CursorInvalidError, InvalidInputError } from '../../errors.js';
import { fromSupabaseRow, parseSupabaseRow, toSupabaseRow } from './contact-row.mapper.js';
import { type PostgrestErrorLike, supabaseError } from './supabase-errors.js';

/** Ids per `in.(…)` filter: keeps the request line far below server header limits. */
const IDS_PER_READ = 100;
const ROWS_PER_WRITE = 500;
/** The compare-and-set write shipped in contacts.sql (for the table named `contacts`). */
export const PUSH_FUNCTION = 'kith_push_contacts';

/** What kith_push_contacts answers: one element per row. */
const pushAnswer = z.array(
  z.discriminatedUnion('action', [
    z.object({ contact_id: z.string(), action: z.enum(['created', 'updated', 'unchanged']) }),
    z.object({ contact_id: z.string(), action: z.literal('changed'), row: z.unknown() }),
  ]),
);

interface Result<T> {
  data: T | null;
  error: PostgrestErrorLike | null;
  status: number;
}

/** Cursor `updated_at|contact_id`, updated_at exactly as PostgREST returned it (microseconds kept). */
export function encodeSupabaseCursor(updatedAt: string, contactId: string): string {
  return `${updatedAt}|${contactId}`;
}

export function decodeSupabaseCursor(cursor: string): { updatedAt: string; contactId: string } {
  const bar = cursor.indexOf('|');
  const updatedAt = cursor.slice(0, bar);
  if (bar < 1 || bar === cursor.length - 1 || Number.isNaN(Date.parse(updatedAt))) {
    throw new CursorInvalidError(`Supabase cursor '${cursor}' is not 'updated_at|contact_id'`, 'supabase_cursor');
  }
  return { updatedAt, contactId: cursor.slice(bar + 1) };
}

/** A value inside PostgREST's or=(…) syntax: double-quoted, with quotes and backslashes escaped. */
const pgrstQuote = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/**
 * Supabase as a ContactSystem, through supabase-js. Rows are keyed by `contact_id`; every write
 * is `.upsert(rows, { onConflict: 'contact_id' })` and carries a fresh `sync_write_id`, which the
 * table's trigger uses to tell Kith's writes from edits made in Supabase (those get a version
 * bump and `last_sync_source = 'supabase'`). Rows whose content hash and version already match
 * are not written at all.
 */
export class SupabaseContactSystem implements ContactSystem {
  readonly name = 'supabase' as const;
  readonly keepsVersion = true;

  /** Every canonical field, as is. */
  view(c: CanonicalContact) {
    return wholeView(c);
  }

  constructor(
    readonly client: SupabaseClient,
    readonly table = 'contacts',
  ) {}

  async get(ref: { contactId?: string; externalId?: string }): Promise<SystemContact | undefined> {
    const id = ref.externalId ?? ref.contactId;
    if (!id) throw new InvalidInputError('Supabase get: needs contactId or externalId', 'supabase_ref');
    const res = (await this.client.from(this.table).select('*').eq('contact_id', id).retry(false).maybeSingle()) as Result<unknown>;
    const row = this.check(res, `get ${id}`);
    return row ? fromSupabaseRow(parseSupabaseRow(row, this.table)) : undefined;
  }

  /** Rows by contact id, one `in.(…)` read per 100 ids (Supabase rows are keyed by contact id). */
  async getCopies(refs: readonly ContactRef[]): Promise<Map<string, SystemContact>> {
    const byRowId = new Map(refs.map((r) => [r.externalId ?? r.contactId, r.contactId]));
    const ids = [...byRowId.keys()];
    const out = new Map<string, SystemContact>();
    for (let i = 0; i < ids.length; i += IDS_PER_READ) {
      const chunk = ids.slice(i, i + IDS_PER_READ);
      const res = (await this.client.from(this.table).select('*').in('contact_id', chunk).retry(false)) as Result<unknown[]>;
      for (const raw of this.check(res, `get ${chunk.length} contacts`) ?? []) {
        const row = parseSupabaseRow(raw, this.table);
        const contactId = byRowId.get(row.contact_id);
        if (contactId) out.set(contactId, fromSupabaseRow(row));
      }
    }
    return out;
  }

  /** A Database Webhook's `record` (the row as to_jsonb gives it) as a SystemContact. */
  async fromRecord(record: unknown): Promise<SystemContact> {
    return fromSupabaseRow(parseSupabaseRow(record, this.table));
  }

  async listChanged(cursor: string | undefined, limit: number): Promise<ChangePage> {
    let query = this.client.from(this.table).select('*');
    if (cursor) {
      const c = decodeSupabaseCursor(cursor);
      const u = pgrstQuote(c.updatedAt);
      query = query.or(`updated_at.gt.${u},and(updated_at.eq.${u},contact_id.gt.${pgrstQuote(c.contactId)})`);
    }
    const res = (await query
      .order('updated_at', { ascending: true })
      .order('contact_id', { ascending: true })
      .range(0, limit - 1)
      .retry(false)) as Result<unknown[]>;
    const rows = (this.check(res, 'list changes') ?? []).map((r) => parseSupabaseRow(r, this.table));
    const last = rows.at(-1);
    return {
      contacts: rows.map(fromSupabaseRow),
      cursor: last ? encodeSupabaseCursor(last.updated_at, last.contact_id) : cursor,
      done: rows.length < limit,
    };
  }

  async upsertMany(contacts: readonly CanonicalContact[], externalIds?: ReadonlyMap<string, string>, opts: UpsertOptions = {}): Promise<UpsertOutcome[]> {
    for (const c of contacts) {
      const ext = externalIds?.get(c.contact_id);
      if (ext !== undefined && ext !== c.contact_id) {
        throw new InvalidInputError(`Supabase rows are keyed by contact_id: external id ${ext} differs from contact ${c.contact_id}`, 'supabase_ref');
      }
    }
    // Last one wins within a call, like the database would.
    const unique = [...new Map(contacts.map((c) => [c.contact_id, c])).values()];
    // Rows the caller just read and found different are written without reading their state again.
    const read = opts.read ?? new Map<string, boolean>();
    const existing = await this.readState(unique.map((c) => c.contact_id).filter((id) => !read.has(id)));
    const outcomes: UpsertOutcome[] = [];
    const writes: CanonicalContact[] = [];
    for (const c of unique) {
      if (read.has(c.contact_id)) {
        writes.push(c);
        continue;
      }
      const cur = existing.get(c.contact_id);
      const same = cur && cur.content_hash === hashContact(c) && cur.version === c.sync_metadata.version && cur.last_sync_source === c.sync_metadata.last_updated_by;
      if (same) outcomes.push({ contactId: c.contact_id, externalId: c.contact_id, action: 'unchanged' });
      else writes.push(c);
    }
    const writeId = randomUUID();
    for (let i = 0; i < writes.length; i += ROWS_PER_WRITE) {
      const chunk = writes.slice(i, i + ROWS_PER_WRITE);
      const res = (await this.client.from(this.table).upsert(chunk.map((c) => toSupabaseRow(c, writeId)), { onConflict: 'contact_id' })) as Result<unknown>;
      this.check(res, `upsert ${chunk.length} contacts`);
      for (const c of chunk) {
        const existed = read.get(c.contact_id) ?? existing.has(c.contact_id);
        outcomes.push({ contactId: c.contact_id, externalId: c.contact_id, action: existed ? 'updated' : 'created' });
      }
    }
    return outcomes;
  }

  /** Whether kith_push_contacts is known to be missing (an older contacts.sql): then guarded pushes read and write. */
  pushFunctionMissing = false;

  /**
   * One `rpc('kith_push_contacts')` per 500 contacts: each row named in `expected` is written only
   * while its version is still the expected one (the check and the write happen under the row's
   * lock in PostgreSQL, so an edit cannot slip in between); the others come back as they are now.
   * Undefined (nothing written) when the table is not `contacts` or the function is missing.
   */
  async upsertUnlessChanged(contacts: readonly CanonicalContact[], expected: ReadonlyMap<string, number>): Promise<GuardedUpsert | undefined> {
    if (this.table !== 'contacts' || this.pushFunctionMissing) return undefined;
    const unique = [...new Map(contacts.map((c) => [c.contact_id, c])).values()];
    const writeId = randomUUID();
    const outcomes: UpsertOutcome[] = [];
    const changed = new Map<string, SystemContact>();
    for (let i = 0; i < unique.length; i += ROWS_PER_WRITE) {
      const chunk = unique.slice(i, i + ROWS_PER_WRITE);
      const expect: Record<string, number> = {};
      for (const c of chunk) {
        const v = expected.get(c.contact_id);
        if (v !== undefined) expect[c.contact_id] = v;
      }
      const res = (await this.client.rpc(PUSH_FUNCTION, { rows: chunk.map((c) => toSupabaseRow(c, writeId)), expected: expect })) as Result<unknown>;
      if (res.error?.code === 'PGRST202' && i === 0) {
        this.pushFunctionMissing = true;
        process.emitWarning(`Supabase has no function ${PUSH_FUNCTION}: apply src/systems/supabase/contacts.sql again. Until then each guarded push reads the rows and then writes them (two requests instead of one, and an edit can slip in between).`, 'KithWarning');
        return undefined;
      }
      const answer = pushAnswer.safeParse(this.check(res, `push ${chunk.length} contacts`));
      if (!answer.success) throw new InvalidInputError(`Supabase ${PUSH_FUNCTION} answered in an unexpected shape: ${answer.error.issues[0]!.path.join('.')}: ${answer.error.issues[0]!.message}`, 'supabase_bad_answer');
      for (const r of answer.data) {
        if (r.action === 'changed') changed.set(r.contact_id, fromSupabaseRow(parseSupabaseRow(r.row, this.table)));
        else outcomes.push({ contactId: r.contact_id, externalId: r.contact_id, action: r.action });
      }
    }
    return { outcomes, changed };
  }

  /**
   * Sets deleted_at once (a row already deleted keeps its first deletion time) and clears
   * content_hash, so the next upsert of that contact is always written, never skipped.
   */
  async softDelete(refs: readonly { contactId: string; externalId?: string }[], at: string): Promise<void> {
    const ids = [...new Set(refs.map((r) => r.externalId ?? r.contactId))];
    const writeId = randomUUID();
    for (let i = 0; i < ids.length; i += IDS_PER_READ) {
      const chunk = ids.slice(i, i + IDS_PER_READ);
      const res = (await this.client.from(this.table).update({ deleted_at: at, sync_write_id: writeId, content_hash: null }).in('contact_id', chunk).is('deleted_at', null)) as Result<unknown>;
      this.check(res, `soft-delete ${chunk.length} contacts`);
    }
  }

  private async readState(ids: string[]): Promise<Map<string, { content_hash: string | null; version: number; last_sync_source: string | null }>> {
    const out = new Map<string, { content_hash: string | null; version: number; last_sync_source: string | null }>();
    for (let i = 0; i < ids.length; i += IDS_PER_READ) {
      const chunk = ids.slice(i, i + IDS_PER_READ);
      const res = (await this.client.from(this.table).select('contact_id,content_hash,version,last_sync_source').in('contact_id', chunk).retry(false)) as Result<
        { contact_id: string; content_hash: string | null; version: number; last_sync_source: string | null }[]
      >;
      for (const r of this.check(res, 'read sync state') ?? []) out.set(r.contact_id, r);
    }
    return out;
  }

  private check<T>(res: Result<T>, context: string): T | null {
    if (res.error) throw supabaseError(res.error, res.status, `${this.table}: ${context}`);
    return res.data;
  }
}
