import { PIPELINE_QUEUE } from '../pipeline-queues.js';
import { contentSource } from '../../sources/registry.js';
import { sourceOfStep, tracked } from './source-step.js';
import { defineStep } from './step-declaration.js';

/**
 * Phase 5: one content sync per configured content source. It depends on nothing, so it runs
 * beside phase 1, and the notes index (which waits for it) sees today's documents.
 */
export const contentStep = defineStep({
  name: 'content',
  phase: 5,
  perSource: 'content',
  queue: () => PIPELINE_QUEUE.content,
  failurePolicy: 'continue',
  dependsOn: () => [],
  async run(ctx) {
    const source = sourceOfStep(ctx);
    const { db, log, signal, progress, details } = ctx;
    const out = await tracked(db, source, () => contentSource(source.type).sync(source, { db, log, full: details.full, ...(signal ? { signal } : {}), ...(progress ? { progress } : {}) }));
    // A file written is new or rewritten, not told apart: it stays in the result (`written`).
    const n = (v: unknown) => (typeof v === 'number' ? v : 0);
    return { ...out, counts: { unchanged: n(out.result.unchanged), skipped: n(out.result.skipped), deleted: n(out.result.removed) } };
  },
});
