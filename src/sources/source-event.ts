/**
 * What a source parser yields. Parsers are streaming, pure with respect to Kith's
 * state (they read files, nothing else) and know nothing of people ids: participants are
 * identified by raw identifiers that phase 1 resolves to people and phase 2 links across sources.
 */

import type { InteractionEvent } from '../domain/people/interaction-event.js';

export type { InteractionEvent, InteractionSourceType, ParticipantRef } from '../domain/people/interaction-event.js';

/** A contact card / connection: creates or enriches a person, no interaction. */
export interface ContactEvent {
  kind: 'contact';
  /** The export type that produced it (a registered source type: mbox, vcard, …). */
  sourceType: string;
  externalId: string;
  name?: string;
  emails: string[];
  phones: string[];
  company?: string;
  jobTitle?: string;
  handles?: string[];
  /** When known: LinkedIn "Connected On", a vCard REV, … (epoch ms). */
  timestamp?: number;
}

/** A malformed record that was skipped: the rest of the file is still imported. */
export interface SkippedRecord {
  kind: 'skipped';
  file: string;
  /** 1-based line, when the format has lines. */
  line?: number;
  /** Byte offset, when lines are not meaningful. */
  offset?: number;
  reason: string;
}

/** A point the parser may later resume from (files that only grow: mbox, WhatsApp text). */
export interface CursorMark {
  kind: 'cursor';
  file: string;
  cursor: string;
}

/**
 * An API item's key: the provider's id of an item (a Gmail message id) and the `externalId` its
 * interaction events carry (the RFC Message-ID). Kept with the source, so that a later
 * ItemRemoved, which names only the provider's id, finds the interactions the item gave.
 */
export interface ItemKey {
  kind: 'item-key';
  itemId: string;
  externalId: string;
}

/** An item deleted at the provider: the interactions it gave are deleted (counts follow). */
export interface ItemRemoved {
  kind: 'removed';
  /** The provider's id of the item (as an ItemKey named it). */
  itemId: string;
}

/** Something the reader recovered from that the user should know (logged and kept in sync_state). */
export interface SourceWarning {
  kind: 'warning';
  message: string;
}

export type SourceEvent = InteractionEvent | ContactEvent | SkippedRecord | CursorMark | ItemKey | ItemRemoved | SourceWarning;

/** How far a long read has come: counts, and the total when the provider tells it. */
export interface ReadProgress {
  done: number;
  total?: number;
  stage: string;
}

/** Input to one parse of one configured source. */
export interface ParseInput {
  /** File or folder from the config, `~` already expanded. */
  path: string;
  /** Resume point from a previous run (a CursorMark's cursor); absent = from the start. */
  cursor?: string;
  /** An API source's entry fields (its declaration's `config`), with the entry's `id`. */
  config?: Record<string, unknown>;
  /** An API source reports how far a long read has come (shown by `kith sync` and Bull Board). */
  progress?: (p: ReadProgress) => void;
}

/**
 * Every source type exports one of these from `src/sources/<type>/index.ts`. A missing or
 * unreadable path throws an error whose message names the path; a malformed record yields a
 * SkippedRecord and parsing goes on. Files are streamed, never read whole.
 */
export interface SourceParser {
  /** The source type it parses (its declaration's `type`). */
  type: string;
  parse(input: ParseInput): AsyncIterable<SourceEvent>;
}
