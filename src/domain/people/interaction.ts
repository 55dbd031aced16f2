import type { InteractionSourceType } from './interaction-event.js';
import { isInteractionSourceType } from './source-mapping.js';

/** One row for `interactions`: what ingest accepts. */
export interface InteractionInput {
  personId: string;
  sourceType: InteractionSourceType;
  /** Unique per source type and stable across re-imports: re-ingesting it is a no-op. */
  externalId: string;
  /** Epoch milliseconds. */
  occurredAt: number;
  title?: string;
  snippet?: string | null;
  /** Thread / event / chat / channel id, for relationship discovery. */
  conversationKey?: string | null;
  /** External id of the source entity (same source) this interaction came through; lets split move it. */
  entityRef?: string | null;
}

export interface RowProblem {
  index: number;
  field: string;
  message: string;
}

/** Latest instant a JS Date can hold; anything beyond is not a valid instant. */
const MAX_INSTANT = 8.64e15;

/** Pure shape checks (the person's existence is checked against the database by the caller). */
export function checkInteraction(row: InteractionInput, index: number): RowProblem | null {
  const r = row as unknown as Record<string, unknown>;
  if (typeof r !== 'object' || r === null) return { index, field: 'row', message: 'is not an object' };
  if (typeof r.personId !== 'string' || r.personId === '') return { index, field: 'personId', message: 'must be a non-empty string' };
  if (!isInteractionSourceType(r.sourceType)) return { index, field: 'sourceType', message: `unknown source type ${JSON.stringify(r.sourceType)}` };
  if (typeof r.externalId !== 'string' || r.externalId === '') return { index, field: 'externalId', message: 'must be a non-empty string' };
  const t = r.occurredAt;
  if (typeof t !== 'number' || !Number.isInteger(t) || Math.abs(t) > MAX_INSTANT) {
    return { index, field: 'occurredAt', message: `is not a valid instant in epoch milliseconds (got ${JSON.stringify(t)})` };
  }
  for (const f of ['title', 'snippet', 'conversationKey', 'entityRef'] as const) {
    const v = r[f];
    if (v !== undefined && v !== null && typeof v !== 'string') return { index, field: f, message: 'must be a string' };
  }
  return null;
}

export function describeProblem(p: RowProblem): string {
  return `row ${p.index}: ${p.field} ${p.message}`;
}
