import { linkEntities } from '../../people/link.service.js';
import { PIPELINE_QUEUE } from '../pipeline-queues.js';
import { defineStep } from './step-declaration.js';

/** Phase 2: link the entities every source recorded to people, after all of phase 1. */
export const linkEntitiesStep = defineStep({
  name: 'link-entities',
  phase: 2,
  queue: PIPELINE_QUEUE.link,
  failurePolicy: 'fail-run',
  dependsOn: (planned) => planned.ids('collect'),
  async run({ db, details }) {
    const r = await linkEntities(db, details.config.self);
    // Entities moved to another person are updated, people left empty are deleted, and entities
    // listed for review are skipped.
    return { records: r.relinked, result: r, counts: { updated: r.relinked, deleted: r.tombstoned, skipped: r.reviews } };
  },
});
