import { stat } from 'node:fs/promises';
import { peopleConfig } from '../config/people.config.js';
import type { Db, Queryable } from '../db/db.js';
import { CursorInvalidError, InvalidInputError } from '../errors.js';
import type { SelfIdentity } from '../domain/people/identity.js';
import type { InteractionInput } from '../domain/people/interaction.js';
import { interactionsFromEvent, type PlannedInteraction } from '../domain/people/interaction-rules.js';
import type { Logger } from '../log/logger.js';
import { removeContactEntitiesIn } from '../people/contact-removal.service.js';
import { deleteInteractionsIn } from '../people/delete.service.js';
import { ingestInteractionsIn } from '../people/ingest.service.js';
import { resolveParticipants, upsertContactPerson } from '../people/resolve.service.js';
import type { PlanOnThread, ThreadEvent } from '../sources/parse-thread/protocol.js';
import { parseInThread } from '../sources/parse-thread/thread-parse.js';
import { type CollectionSourceType, collectionSource } from '../sources/registry.js';
import type { CollectionSourceDeclaration } from '../sources/source-declaration.js';
import type { ContactEvent, InteractionSourceType, ItemKey, ParseInput, ParticipantRef, ReadProgress, SkippedRecord } from '../sources/source-event.js';
import type { ConfiguredSource } from './kith-config.js';
import { describeSkipped, readSyncState, recordSkipped, recordWarning, saveCursor } from './sync-state.store.js';

/**
 * Events per transaction. Every commit rewrites the pages of the people whose counts moved
 * (most of them, on a big import) and the index pages it touched, so small batches spend their
 * time committing, and every batch also updates the counts of each person it touches once and
 * looks up every person it names once. 40k events (~80k rows, one to two seconds of writing)
 * amortise that (a 1M-interaction mail import: 26 s in transactions instead of 28, 19 commits
 * instead of 29) and still hold the write lock briefly for a source collecting beside this one,
 * which waits for it without blocking (see SqliteDb.begin).
 */
const BATCH = 40_000;
const SKIP_SAMPLE = 50;
/**
 * A source file at least this big is parsed on a worker thread (`parseThread: 'auto'`): parsing
 * then overlaps with resolving and writing, and goes on while this thread waits for the
 * database's write lock. Below it, the thread's start-up costs more than it saves.
 */
export const PARSE_THREAD_MIN_BYTES = 16 * 1024 * 1024;

export type ParseThreadMode = 'auto' | 'always' | 'never';

export interface CollectResult {
  records: number;
  result: {
    events: number;
    contacts: number;
    /** Address-book entries deleted at the provider (a Google contact removed): their cards left the graph. */
    contactsRemoved?: number;
    /** `removed`: interactions of items deleted at the provider (API sources). */
    interactions: { inserted: number; duplicates: number; replaced: number; removed: number };
    skipped: number;
    skippedSample: SkippedRecord[];
    resumedFrom: string | null;
    /** Set when the stored cursor was invalid and the source was read again from the start: why. */
    cursorInvalid?: string;
  };
}

export const sourceStateKey = (id: string) => `source:${id}`;

/**
 * Phase 1 for one configured source: stream its parser's events, resolve participants to
 * people, ingest interactions (counts kept in the same transaction), and move the cursor with
 * the batch it covers — so a crash resumes where it stopped and a re-run adds nothing. A stored
 * cursor the parser refuses (CursorInvalidError: the file was replaced, the database restored)
 * starts a full re-read, with a warning logged and kept in sync_state; ids are source-scoped, so
 * what was already imported is not added twice.
 */
export async function collectSource(
  db: Db,
  source: ConfiguredSource,
  self: SelfIdentity,
  opts: { full?: boolean; log?: Logger; signal?: AbortSignal; parseThread?: ParseThreadMode; progress?: (p: ReadProgress) => void; batchSize?: number } = {},
): Promise<CollectResult> {
  const key = sourceStateKey(source.id);
  const decl = collectionSource(source.type);
  const resumedFrom = opts.full ? null : ((await readSyncState(db, key))?.cursor ?? null);
  const out: CollectResult['result'] = { events: 0, contacts: 0, interactions: { inserted: 0, duplicates: 0, replaced: 0, removed: 0 }, skipped: 0, skippedSample: [], resumedFrom };
  // A batch holds contacts and already planned interactions, not the events: an event is
  // planned as it arrives and dies young, which keeps the heap (and GC) small.
  let contacts: ContactEvent[] = [];
  let planned: PlannedInteraction[] = [];
  let itemIds: string[] = [];
  // API sources: provider ids with the key their interactions carry, and items deleted there.
  let itemKeys: ItemKey[] = [];
  let removed: string[] = [];
  let batched = 0;
  const batchSize = opts.batchSize ?? decl.batchSize ?? BATCH;
  // Participants already resolved in this run: the same identifiers resolve to the same person,
  // so a correspondent seen in a thousand messages costs one lookup, not a thousand.
  const known = new Map<string, string | null>();
  let cursor: string | undefined;

  const flush = async () => {
    const batch = { contacts, planned, itemIds, itemKeys, removed, mark: cursor };
    contacts = [];
    planned = [];
    itemIds = [];
    itemKeys = [];
    removed = [];
    batched = 0;
    // What the transaction did is counted and remembered only once it commits: PostgreSQL runs
    // the function again after a deadlock, and a person the rolled-back attempt created is gone.
    const done = await db.tx(async (q) => {
      const learned = new Map<string, string | null>();
      let contactsDone = 0;
      for (const e of batch.contacts) {
        await upsertContactPerson(q, e, self);
        contactsDone++;
      }
      const replaced = decl.replacesItemRows ? await dropStaleItemRows(q, decl.interactions, batch.itemIds, batch.planned) : 0;
      const rows = await toRows(q, decl.entitySource ?? source.type, batch.planned, self, known, learned);
      const r = rows.length ? await ingestInteractionsIn(q, rows) : { inserted: 0, duplicates: 0 };
      await saveItemKeys(q, key, batch.itemKeys);
      // An address book's removed item is a contact card leaving it; any other's, the interactions it gave.
      const book = decl.people === 'address-book';
      const gone = batch.removed.length && !book ? await removeItems(q, key, decl.interactions, batch.removed) : 0;
      const cardsGone = batch.removed.length && book ? await removeContactEntitiesIn(q, decl.type, batch.removed) : 0;
      if (batch.mark !== undefined) await saveCursor(q, key, batch.mark);
      return { learned, contactsDone, replaced, removed: gone, cardsGone, inserted: r.inserted, duplicates: r.duplicates };
    });
    for (const [k, v] of done.learned) known.set(k, v);
    out.contacts += done.contactsDone;
    if (done.cardsGone) out.contactsRemoved = (out.contactsRemoved ?? 0) + done.cardsGone;
    out.interactions.replaced += done.replaced;
    out.interactions.removed += done.removed;
    out.interactions.inserted += done.inserted;
    out.interactions.duplicates += done.duplicates;
  };

  const plan: PlanOnThread = { self, region: peopleConfig().phoneRegion };
  const read = async (from: string | null) => {
    const input: ParseInput = {
      path: source.path,
      ...(from ? { cursor: from } : {}),
      ...(decl.kind === 'api' ? { config: { ...source }, ...(opts.progress ? { progress: opts.progress } : {}) } : {}),
    };
    for await (const ev of await sourceEvents(decl, input, opts.parseThread ?? 'auto', plan)) {
      if (opts.signal?.aborted) throw new Error('collection aborted (shutting down); it resumes from the last cursor');
      if (ev.kind === 'skipped') {
        out.skipped++;
        if (out.skippedSample.length < SKIP_SAMPLE) out.skippedSample.push(ev);
        continue;
      }
      if (ev.kind === 'cursor') {
        cursor = ev.cursor;
        // An API source's batch ends at a cursor: each commit carries the point it reaches.
        if (decl.kind === 'api' && batched >= batchSize) await flush();
        continue;
      }
      if (ev.kind === 'warning') {
        opts.log?.warn({ source: source.id, type: source.type }, `${source.id}: ${ev.message}`);
        await recordWarning(db, key, ev.message);
        continue;
      }
      if (ev.kind === 'item-key') {
        itemKeys.push(ev);
        continue;
      }
      if (ev.kind === 'removed') {
        removed.push(ev.itemId);
        batched++;
        continue;
      }
      out.events++;
      if (ev.kind === 'contact') contacts.push(ev);
      else {
        for (const p of ev.kind === 'planned' ? ev.planned : interactionsFromEvent(ev, self, plan.region)) planned.push(p);
        if (decl.replacesItemRows) itemIds.push(ev.externalId);
      }
      if (++batched >= batchSize && decl.kind === 'file') await flush();
    }
  };
  try {
    await read(resumedFrom);
  } catch (err) {
    if (!(err instanceof CursorInvalidError) || resumedFrom === null) throw err;
    // Parsers refuse a cursor before their first event; should one refuse it later, batches
    // already written stay (the re-read meets their items again as duplicates: ids are
    // source-scoped) and the unwritten rest is dropped with its cursor.
    contacts = [];
    planned = [];
    itemIds = [];
    itemKeys = [];
    removed = [];
    batched = 0;
    cursor = undefined;
    out.cursorInvalid = err.message;
    opts.log?.warn({ source: source.id, type: source.type, reason: err.message }, `${source.id}: stored cursor is invalid (${err.message}); reading the source again from the beginning`);
    await recordWarning(db, key, `cursor invalid, read again from the beginning: ${err.message}`);
    await read(null);
  }
  // Kept with the source (`kith status`) as well as in the step's result (the run summary).
  await recordSkipped(db, key, out.skipped, out.skippedSample);
  // A whole export read from its start in which every record was malformed is not that
  // export at all (or is broken through): the step fails, naming it, instead of succeeding
  // with nothing. An empty export (nothing at all) is fine; so is a resumed read.
  if (out.events === 0 && out.skipped > 0 && (resumedFrom === null || out.cursorInvalid !== undefined)) {
    throw new InvalidInputError(
      `no usable record in ${decl.kind === 'api' ? source.id : source.path} (${source.type}: ${decl.description}): all ${out.skipped} record${out.skipped === 1 ? ' was' : 's were'} malformed (first: ${describeSkipped(out.skippedSample[0]!)})`,
      'nothing_usable',
    );
  }
  if (batched || cursor !== undefined) await flush();
  if (out.skipped) opts.log?.warn({ source: source.id, skipped: out.skipped, first: out.skippedSample[0] }, 'malformed records skipped');
  return { records: out.interactions.inserted + out.contacts, result: out };
}

/** The source's events: parsed here, or on a thread that also plans its interaction events. */
async function sourceEvents(decl: CollectionSourceDeclaration, input: ParseInput, mode: ParseThreadMode, plan: PlanOnThread): Promise<AsyncIterable<ThreadEvent>> {
  // An API source's reading is mostly waiting on the provider: it stays on this thread.
  if (decl.kind === 'api') return (await decl.parser()).parse(input);
  if (mode === 'always' || (mode === 'auto' && (await fileSize(input.path)) >= PARSE_THREAD_MIN_BYTES)) return parseInThread(decl.type as CollectionSourceType, input, { plan });
  return (await decl.parser()).parse(input);
}

/** Size of a file; 0 for a folder or a path that cannot be read (the parser names the problem). */
async function fileSize(path: string): Promise<number> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : 0;
  } catch {
    return 0;
  }
}

/** One participant's identifiers as a map key (the run's resolution memo). */
const refKey = (r: ParticipantRef) => `${r.email ?? ''}\u0000${r.phone ?? ''}\u0000${r.handle ?? ''}\u0000${r.name ?? ''}`;

/**
 * The batch's rows with their people: participants found in `known` (resolved in committed
 * batches) or resolved now, in this transaction, into `learned` (remembered once it commits).
 */
async function toRows(q: Queryable, type: string, planned: PlannedInteraction[], self: SelfIdentity, known: ReadonlyMap<string, string | null>, learned: Map<string, string | null>): Promise<InteractionInput[]> {
  if (!planned.length) return [];
  const fresh = new Map<string, ParticipantRef>();
  const keys = planned.map((p) => refKey(p.participant));
  planned.forEach((p, i) => {
    if (!known.has(keys[i]!)) fresh.set(keys[i]!, p.participant);
  });
  if (fresh.size) {
    const ids = await resolveParticipants(q, type, [...fresh.values()], self);
    [...fresh.keys()].forEach((k, i) => learned.set(k, ids[i] ?? null));
  }
  const rows: InteractionInput[] = [];
  planned.forEach((p, i) => {
    const personId = known.has(keys[i]!) ? known.get(keys[i]!) : learned.get(keys[i]!);
    if (!personId) return;
    // The planned row becomes the ingested row (no copy: a batch is tens of thousands of rows).
    const row = p.row as InteractionInput;
    row.personId = personId;
    rows.push(row);
  });
  return rows;
}

/**
 * An item that is re-read whole (a note) and no longer yields an interaction loses it: rows of
 * the source's interaction types stored under `<item id>#…` and not planned again are deleted
 * (counts follow in the same transaction).
 */
async function dropStaleItemRows(q: Queryable, types: readonly InteractionSourceType[], itemIds: string[], planned: PlannedInteraction[]): Promise<number> {
  const keep = new Set(planned.map((p) => `${p.row.sourceType}\u0000${p.row.externalId}`));
  const stale: number[] = [];
  const inTypes = types.map(() => '?').join(', ');
  for (const id of itemIds) {
    const prefix = `${id}#`;
    const existing = await q.all<{ id: number; source_type: string; external_id: string }>(
      `SELECT id, source_type, external_id FROM interactions WHERE source_type IN (${inTypes}) AND external_id >= ? AND external_id < ?`,
      [...types, prefix, `${prefix}\uffff`],
    );
    for (const x of existing) if (!keep.has(`${x.source_type}\u0000${x.external_id}`)) stale.push(Number(x.id));
  }
  if (!stale.length) return 0;
  return (await deleteInteractionsIn(q, { ids: stale })).deleted;
}

/** Remember which key each API item's interactions carry (a re-read item may have a new one). */
async function saveItemKeys(q: Queryable, key: string, keys: readonly ItemKey[]): Promise<void> {
  for (const k of keys) {
    await q.run(
      `INSERT INTO source_items (source_key, item_id, external_id) VALUES (?, ?, ?)
       ON CONFLICT (source_key, item_id) DO UPDATE SET external_id = excluded.external_id`,
      [key, k.itemId, k.externalId],
    );
  }
}

/**
 * Items deleted at the provider lose the interactions they gave: rows of the source's
 * interaction types stored under `<external id>#…` (counts follow in the same transaction).
 * An item never seen (added and deleted between two runs) has nothing to delete.
 */
async function removeItems(q: Queryable, key: string, types: readonly InteractionSourceType[], itemIdsGone: readonly string[]): Promise<number> {
  const ids: number[] = [];
  const inTypes = types.map(() => '?').join(', ');
  for (const itemId of itemIdsGone) {
    const row = await q.get<{ external_id: string }>('SELECT external_id FROM source_items WHERE source_key = ? AND item_id = ?', [key, itemId]);
    if (!row) continue;
    const prefix = `${row.external_id}#`;
    const found = await q.all<{ id: number }>(`SELECT id FROM interactions WHERE source_type IN (${inTypes}) AND external_id >= ? AND external_id < ?`, [...types, prefix, `${prefix}\uffff`]);
    for (const x of found) ids.push(Number(x.id));
    await q.run('DELETE FROM source_items WHERE source_key = ? AND item_id = ?', [key, itemId]);
  }
  if (!ids.length) return 0;
  return (await deleteInteractionsIn(q, { ids })).deleted;
}
