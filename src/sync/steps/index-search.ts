import type { IndexCounts } from '../../search/chunk.store.js';
import type { StepOutput } from './step-declaration.js';

/** An index step's outcome for its sync_logs row: chunks written, left unchanged, deleted. */
export function indexOutput(counts: IndexCounts, extra: Record<string, unknown> = {}): StepOutput {
  return {
    records: counts.written + counts.unchanged,
    result: { ...counts, ...extra },
    counts: { created: counts.created, updated: counts.updated, unchanged: counts.unchanged, deleted: counts.deleted },
  };
}
