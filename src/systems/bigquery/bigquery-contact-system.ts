import type { BigQuery } from '@google-cloud/bigquery';
import type { BigQueryConfig } from '../../config/bigquery.config.js';
import type { CanonicalContact } from '../../hub/domain/canonical-contact.js';
import type { ChangePage, ContactSystem, SystemContact, UpsertOutcome } from '../../hub/ports/contact-system.js';
import { wholeView } from '../../hub/domain/link-hash.js';
import { type ContactVersion, historyOf } from '../../hub/domain/contact-version.js';
import { FatalError, InvalidInputError } from '../../errors.js';
import { type BigQueryClientOptions, createBigQueryClient } from './bigquery-client.js';
import { type ContactVersionRead, type ContactVersionRow, fromRow, normaliseInstant, toRow, toSystemContact, versionHash } from './bigquery-contact.mapper.js';
import { decodeCursor, encodeCursor, nextCursor } from './bigquery-cursor.js';
import { type InsertError, insertErrorsToKithError, toKithError } from './bigquery-errors.js';
import { changedSinceSql, historySql, latestAllSql, latestByIdsSql, tablePath } from './contact-versions.sql.js';
import { CONTACT_VERSIONS_FIELDS, CONTACT_VERSIONS_TABLE, CONTACT_VERSIONS_TABLE_OPTIONS } from './contact-versions.table.js';

export interface BigQueryContactSystemOptions {
  client: BigQuery;
  datasetId: string;
  tableId?: string;
  /** listChanged re-read window for late-arriving streamed rows (default 10 minutes). */
  overlapMs?: number;
  /** Clock for written_at (tests). */
  now?: () => number;
}

/** insertAll: BigQuery recommends at most 500 rows per request. */
const INSERT_BATCH = 500;
/** Ids per point-read query (one ARRAY<STRING> parameter). */
const READ_BATCH = 1_000;

/**
 * BigQuery as the canonical contact store, over the append-only `contact_versions` log (see
 * contact-versions.table.ts for why). Writes are insertAll only — never DML — with a
 * deterministic insertId; reads take the latest version per contact. The store keeps the
 * highest version: an upsert older than the stored version appends nothing ('unchanged').
 * Conflict resolution between equal versions belongs to the caller; here an equal version with
 * different content is appended and wins by written_at.
 */
export class BigQueryContactSystem implements ContactSystem {
  readonly name = 'bigquery' as const;
  readonly keepsVersion = true;

  /** Every canonical field, as is. */
  view(c: CanonicalContact) {
    return wholeView(c);
  }
  private readonly client: BigQuery;
  private readonly datasetId: string;
  private readonly tableId: string;
  private readonly table: string;
  private readonly overlapUs: number;
  private readonly now: () => number;

  constructor(opts: BigQueryContactSystemOptions) {
    this.client = opts.client;
    this.datasetId = opts.datasetId;
    this.tableId = opts.tableId ?? CONTACT_VERSIONS_TABLE;
    this.table = tablePath(String(opts.client.projectId), this.datasetId, this.tableId);
    this.overlapUs = (opts.overlapMs ?? 10 * 60_000) * 1000;
    this.now = opts.now ?? Date.now;
  }

  /** Create the dataset and table when missing; safe to run at every start. */
  async ensureSchema(): Promise<void> {
    const dataset = this.client.dataset(this.datasetId);
    try {
      await dataset.create();
    } catch (err) {
      if ((err as { code?: unknown }).code !== 409) throw toKithError(err, `creating dataset ${this.datasetId}`);
    }
    const table = dataset.table(this.tableId);
    try {
      await table.create(CONTACT_VERSIONS_TABLE_OPTIONS);
      return;
    } catch (err) {
      if ((err as { code?: unknown }).code !== 409) throw toKithError(err, `creating table ${this.datasetId}.${this.tableId}`);
    }
    // The table existed: make sure it is ours before writing to it.
    let fields: { name?: string }[];
    try {
      const [meta] = await table.getMetadata();
      fields = (meta as { schema?: { fields?: { name?: string }[] } }).schema?.fields ?? [];
    } catch (err) {
      throw toKithError(err, `reading table ${this.datasetId}.${this.tableId}`);
    }
    const missing = CONTACT_VERSIONS_FIELDS.filter((f) => !fields.some((g) => g.name === f.name)).map((f) => f.name);
    if (missing.length) throw new FatalError(`BigQuery table ${this.datasetId}.${this.tableId} exists without column(s) ${missing.join(', ')}`);
  }

  async get(ref: { contactId?: string; externalId?: string }): Promise<SystemContact | undefined> {
    const id = ref.contactId ?? ref.externalId;
    if (!id) throw new InvalidInputError('get needs a contactId or externalId');
    const c = await this.getCanonical(id);
    return c && toSystemContact(c);
  }

  /** The latest version of one contact, soft-deleted ones included. */
  async getCanonical(contactId: string): Promise<CanonicalContact | undefined> {
    return (await this.getMany([contactId])).get(contactId);
  }

  async getMany(contactIds: readonly string[]): Promise<Map<string, CanonicalContact>> {
    const out = new Map<string, CanonicalContact>();
    const ids = [...new Set(contactIds)];
    for (let i = 0; i < ids.length; i += READ_BATCH) {
      const rows = await this.query(latestByIdsSql(this.table), { ids: ids.slice(i, i + READ_BATCH) }, { ids: ['STRING'] }, 'reading contacts');
      for (const row of rows) out.set(row.contact_id, fromRow(row));
    }
    return out;
  }

  async listChanged(cursor: string | undefined, limit: number): Promise<ChangePage> {
    if (!Number.isInteger(limit) || limit < 1) throw new InvalidInputError(`limit must be a positive whole number (got ${limit})`);
    const prev = decodeCursor(cursor);
    const params = { after_us: prev.pos[0], after_id: prev.pos[1], limit: limit + 1 };
    const rows = await this.query(changedSinceSql(this.table), params, { after_us: 'INT64', after_id: 'STRING', limit: 'INT64' }, 'listing changed contacts');
    const done = rows.length <= limit;
    const page = rows.slice(0, limit);
    const lastRow = page.at(-1);
    const last: [number, string] | undefined = lastRow ? [Number(lastRow.written_us), lastRow.contact_id] : undefined;
    return { contacts: page.map((r) => toSystemContact(fromRow(r))), cursor: encodeCursor(nextCursor(prev, last, done, this.overlapUs)), done };
  }

  /** Every version of one contact, newest first; the origin of a change is not kept in the log. */
  async history(contactId: string, limit: number): Promise<ContactVersion[]> {
    const rows = await this.query(historySql(this.table), { id: contactId }, { id: 'STRING' }, 'reading a contact history');
    const entries = rows.map((r) => ({ contact: fromRow(r), origin: null, recordedAt: new Date(Math.floor(Number(r.written_us) / 1000)).toISOString() }));
    return historyOf(entries).slice(0, limit);
  }

  /** Latest version of every contact, for sync-all (deleted ones only with includeDeleted). */
  async latestAll(opts: { includeDeleted?: boolean } = {}): Promise<CanonicalContact[]> {
    const rows = await this.query(latestAllSql(this.table, opts.includeDeleted ?? false), {}, {}, 'reading all contacts');
    return rows.map(fromRow);
  }

  async upsertMany(contacts: readonly CanonicalContact[]): Promise<UpsertOutcome[]> {
    const latest = await this.getMany(contacts.map((c) => c.contact_id));
    const writtenAt = new Date(this.now());
    const rows: ContactVersionRow[] = [];
    const outcomes: UpsertOutcome[] = [];
    for (const c of contacts) {
      const prior = latest.get(c.contact_id);
      let action: UpsertOutcome['action'];
      if (!prior) action = 'created';
      else if (c.sync_metadata.version < prior.sync_metadata.version) action = 'unchanged';
      else if (c.sync_metadata.version === prior.sync_metadata.version && versionHash(c) === versionHash(prior)) action = 'unchanged';
      else action = 'updated';
      if (action !== 'unchanged') {
        rows.push(toRow(c, writtenAt));
        latest.set(c.contact_id, c); // a later duplicate in the same batch compares against this one
      }
      outcomes.push({ contactId: c.contact_id, externalId: c.contact_id, action });
    }
    await this.append(rows);
    return outcomes;
  }

  /** Appends a version with deleted_at; missing or already deleted contacts are left alone. */
  async softDelete(refs: readonly { contactId: string; externalId?: string }[], at: string): Promise<void> {
    const when = normaliseInstant(at);
    const latest = await this.getMany(refs.map((r) => r.contactId));
    const rows: ContactVersionRow[] = [];
    const writtenAt = new Date(this.now());
    for (const c of latest.values()) {
      if (c.deleted_at !== null) continue;
      const next: CanonicalContact = { ...c, deleted_at: when, sync_metadata: { version: c.sync_metadata.version + 1, last_updated: when, last_updated_by: 'kith' } };
      rows.push(toRow(next, writtenAt));
    }
    await this.append(rows);
  }

  private async append(rows: readonly ContactVersionRow[]): Promise<void> {
    const table = this.client.dataset(this.datasetId).table(this.tableId);
    for (let i = 0; i < rows.length; i += INSERT_BATCH) {
      const batch = rows.slice(i, i + INSERT_BATCH);
      try {
        // raw: our own insertId; partialRetries 0: a row BigQuery rejected fails the same way again.
        await table.insert(
          batch.map((r) => ({ insertId: r.insert_id, json: r })),
          { raw: true, partialRetries: 0 },
        );
      } catch (err) {
        const insertErrors = (err as { name?: string; response?: { insertErrors?: InsertError[] } }).response?.insertErrors;
        if ((err as { name?: string }).name === 'PartialFailureError' && insertErrors?.length) {
          throw insertErrorsToKithError(insertErrors, batch.map((r) => r.contact_id));
        }
        throw toKithError(err, `appending ${batch.length} contact version(s)`);
      }
    }
  }

  private async query(sql: string, params: Record<string, unknown>, types: Record<string, string | string[]>, what: string): Promise<ContactVersionRead[]> {
    try {
      const named = Object.keys(params).length > 0;
      const [rows] = await this.client.query(named ? { query: sql, params, types, parameterMode: 'NAMED' } : { query: sql });
      return rows as ContactVersionRead[];
    } catch (err) {
      throw toKithError(err, what);
    }
  }
}

/** The canonical store from config: SDK client with an explicit endpoint and auth client. */
export function createBigQueryContactSystem(
  config: BigQueryConfig,
  opts: Omit<BigQueryContactSystemOptions, 'client' | 'datasetId'> & { clientOptions?: BigQueryClientOptions } = {},
): BigQueryContactSystem {
  const { clientOptions, ...rest } = opts;
  return new BigQueryContactSystem({ ...rest, client: createBigQueryClient(config, clientOptions), datasetId: config.datasetId });
}
