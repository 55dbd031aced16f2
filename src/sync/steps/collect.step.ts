import { sourceQueue } from '../pipeline-queues.js';
import { isAddressBook } from '../../sources/registry.js';
import { collectSource } from '../collect-source.service.js';
import { sourceOfStep, tracked } from './source-step.js';
import { defineStep } from './step-declaration.js';

/**
 * Phase 1: one collection step per configured collection source, each on its source type's
 * queue. Address books go first ("contacts first, meetings link to contacts"): a card that ties
 * an email to a phone then links mail and calls to one person instead of leaving two people and
 * an ambiguity to review. A failed source is recorded; later steps use the data that exists.
 */
export const collectStep = defineStep({
  name: 'collect',
  phase: 1,
  perSource: 'collection',
  queue: sourceQueue,
  failurePolicy: 'continue',
  dependsOn: (planned, source) => (isAddressBook(source.type) ? [] : planned.ids('collect', (s) => isAddressBook(s.type))),
  async run(ctx) {
    const source = sourceOfStep(ctx);
    const { details, db, log, signal } = ctx;
    const out = await tracked(db, source, () => collectSource(db, source, details.config.self, { full: details.full, log, signal, ...(ctx.progress ? { progress: ctx.progress } : {}) }));
    // Contact entries are upserted, and an upsert does not tell a new entry from a refreshed
    // one: they stay in the result (`contacts`), not in created or updated.
    const { interactions, skipped } = out.result;
    return { ...out, counts: { created: interactions.inserted, unchanged: interactions.duplicates, deleted: interactions.replaced + interactions.removed, skipped } };
  },
});
