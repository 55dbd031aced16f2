import type { z } from 'zod';
import type { Db } from '../db/db.js';
import type { Logger } from '../log/logger.js';
import type { InteractionSourceType, ReadProgress, SourceParser } from './source-event.js';

/**
 * What a source is, declared once in `src/sources/<type>/index.ts`; `registry.ts` derives every
 * list of sources from these. A declaration is light (names, a zod schema, flags): the code that
 * reads the export is loaded only when a step runs it, so a worker serving one source loads only
 * that source's parser.
 */
interface SourceDeclarationBase<T extends string = string> {
  type: T;
  /**
   * Where the data comes from: an export on disk (`file`: the entry has a `path`) or a provider's
   * API (`api`: no `path`; its `config` holds `base_url` and its own fields, and its "parser"
   * reads the API into the same event stream, given the entry's fields in `ParseInput.config`).
   */
  kind: 'file' | 'api';
  /** One line for queue listings and documents. */
  description: string;
  /**
   * Fields of this source's entry in kith.config.yaml beyond `type`, `path` and `id` (for
   * example the Drive export's `into`). Omitted: the source takes no other field.
   */
  config?: z.ZodObject<z.ZodRawShape>;
  /** Fields of `config` that are paths, expanded like `path` (`~`, relative to the config file). */
  pathFields?: readonly string[];
  /**
   * How a re-run continues: 'none' (every run re-reads the whole export; stable ids make that
   * add nothing) or a description of the resume point the parser emits (CursorMark). A cursor
   * the parser cannot use makes it throw CursorInvalidError, and collection starts over.
   */
  cursor: 'none' | 'append-offset' | 'row-id' | 'api-cursor';
  /**
   * Which people it creates: 'address-book' (contact cards; collected before the other sources
   * so their identifiers tie mail and calls to one person), 'participants' (the people its
   * interactions name), or 'none'.
   */
  people: 'address-book' | 'participants' | 'none';
  /** Interaction source types (`interactions.source_type`) its events carry. */
  interactions: readonly InteractionSourceType[];
}

/** Phase 1: parsed into contacts and interactions by the collection step. */
export interface CollectionSourceDeclaration<T extends string = string> extends SourceDeclarationBase<T> {
  role: 'collection';
  /** The parser, loaded on first use. */
  parser(): Promise<SourceParser>;
  /**
   * Each item (event externalId) is re-read whole on every run: interactions stored under
   * `<externalId>#…` that the item no longer yields are deleted in the same transaction.
   */
  replacesItemRows?: boolean;
  /**
   * Events per transaction (default: collection's own, tens of thousands). An API source commits
   * smaller batches: each carries its cursor, so a stopped run loses little and resumes there.
   */
  batchSize?: number;
  /**
   * The source its people entities are kept under (default: its own type). An API source reading
   * what an export also gives (Slack members by user id) names the export, so a member reached
   * both ways is one entity.
   */
  entitySource?: string;
}

/** What a content sync reports: records written, and the details kept with its step. */
export interface ContentSyncResult {
  records: number;
  result: Record<string, unknown>;
}

/** The configured entry a content sync is given: path expanded, its own fields validated. */
export interface ContentSyncInput {
  id: string;
  path: string;
  [field: string]: unknown;
}

/**
 * What the content step hands a content sync besides its entry: the database (an API source
 * keeps its cursor in sync_state), and the worker's log, stop signal and progress report.
 */
export interface ContentSyncContext {
  db: Db;
  log?: Logger;
  signal?: AbortSignal;
  progress?: (p: ReadProgress) => void;
  /** Ignore the stored cursor and read everything again (`kith sync --full`). */
  full?: boolean;
}

/** Phase 5: turns an export (or a provider's documents) into files (no people, no interactions). */
export interface ContentSourceDeclaration<T extends string = string> extends SourceDeclarationBase<T> {
  role: 'content';
  sync(source: ContentSyncInput, ctx: ContentSyncContext): Promise<ContentSyncResult>;
}

export type SourceDeclaration<T extends string = string> = CollectionSourceDeclaration<T> | ContentSourceDeclaration<T>;

/** Keeps the literal `type` of a declaration (the registry's SourceType is derived from them). */
export function defineSource<const T extends string, D extends SourceDeclaration<T>>(d: D & { type: T }): D & { type: T } {
  return d;
}
