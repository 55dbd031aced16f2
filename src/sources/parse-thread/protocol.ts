import { AuthError, CursorInvalidError, FatalError, InvalidInputError, NotFoundError, RateLimitedError, TemporaryError } from '../../errors.js';
import type { CountryCode } from 'libphonenumber-js';
import type { SelfIdentity } from '../../domain/people/identity.js';
import type { PlannedInteraction } from '../../domain/people/interaction-rules.js';
import type { CollectionSourceType } from '../registry.js';
import type { ParseInput, SourceEvent } from '../source-event.js';

/**
 * Messages between `parseInThread` and the parse thread. The thread sends events in batches and
 * stops after `window` unacknowledged batches; the reader acknowledges each batch it takes (a
 * number: how many more it may send), so a fast parser never runs ahead of the writer by more
 * than `window × batch` events.
 */
export interface ThreadJob {
  type: CollectionSourceType;
  input: ParseInput;
  batch: number;
  window: number;
  /** When set, interaction events are planned on the thread (see PlannedEvent). */
  plan?: PlanOnThread;
}

export interface PlanOnThread {
  self: SelfIdentity;
  region: CountryCode;
}

/**
 * An interaction event whose interactions the thread already planned (the interaction rules
 * are pure): the reader gets the rows it would have derived, and does less work itself.
 */
export interface PlannedEvent {
  kind: 'planned';
  externalId: string;
  planned: PlannedInteraction[];
}

export type ThreadEvent = SourceEvent | PlannedEvent;

export interface ThreadError {
  name: string;
  message: string;
  code?: string;
}

export type ThreadMessage = { events: ThreadEvent[] } | { done: true } | { error: ThreadError };

export function describeError(err: unknown): ThreadError {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  return { name: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}) };
}

const KINDS: Record<string, new (message: string, code?: string) => Error> = {
  TemporaryError,
  AuthError,
  NotFoundError,
  CursorInvalidError,
  InvalidInputError,
  FatalError,
};

/** The error the parser threw, rebuilt on the reader's side with its class (so retry rules hold). */
export function rebuildError(e: ThreadError): Error {
  if (e.name === 'RateLimitedError') return new RateLimitedError(e.message, 0, e.code);
  const Kind = KINDS[e.name];
  if (Kind) return new Kind(e.message, e.code);
  const out = new Error(e.message);
  out.name = e.name;
  return out;
}
