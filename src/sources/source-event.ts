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

export type SourceEvent = InteractionEvent | ContactEvent | SkippedRecord | CursorMark;

/** Input to one parse of one configured source. */
export interface ParseInput {
  /** File or folder from the config, `~` already expanded. */
  path: string;
  /** Resume point from a previous run (a CursorMark's cursor); absent = from the start. */
  cursor?: string;
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
