import { FatalError } from '../../errors.js';
import { PIPELINE_QUEUE } from '../pipeline-queues.js';
import { resolveOnThisHost } from '../kith-config.js';
import { defineStep } from './step-declaration.js';

/**
 * Phase 3c: the people the promotion rule selects become canonical contacts (linked by person
 * id, with their story as llm_context), and merges of people reach their contacts; through the
 * canonical store and the hub's fan-out to every system (src/promotion/). A failure leaves the
 * graph as it is and the run goes on: the next run promotes what this one did not.
 */
export const promoteContactsStep = defineStep({
  name: 'promote-contacts',
  phase: 3,
  queue: PIPELINE_QUEUE.relationships,
  failurePolicy: 'continue',
  dependsOn: () => ['strengths'],
  async run({ db, log, details, redisUrl, prefix }) {
    if (!redisUrl || !prefix) throw new FatalError('promote-contacts needs the deployment’s Redis (the contact hub’s locks and queues)');
    const rule = details.config.contacts?.promote;
    if (rule && !rule.enabled) return { records: 0, result: { disabled: true } };
    const [{ openHub }, { promoteContacts }] = await Promise.all([import('../../app/open-hub.js'), import('../../promotion/promote.service.js')]);
    const hub = await openHub({ db, redisUrl, prefix, log });
    try {
      const vaults = details.config.sources.filter((s) => s.type === 'vault').map((s) => resolveOnThisHost(s).path);
      const r = await promoteContacts(hub, { rule, categories: details.config.categories ?? [], vaults });
      if (r.failed) log.warn({ errors: r.errors }, `promote-contacts: ${r.failed} people could not be promoted`);
      return {
        records: r.created + r.updated + r.merged + r.restored,
        result: r,
        counts: { created: r.created, updated: r.updated + r.restored, deleted: r.merged, unchanged: r.unchanged, failed: r.failed },
      };
    } finally {
      await hub.close();
    }
  },
});
