import { discoverRelationships } from '../../people/relationships.service.js';
import { PIPELINE_QUEUE } from '../pipeline-queues.js';
import { defineStep } from './step-declaration.js';

/** Phase 3a: relationship discovery from shared conversations. */
export const relationshipsStep = defineStep({
  name: 'relationships',
  phase: 3,
  queue: PIPELINE_QUEUE.relationships,
  failurePolicy: 'fail-run',
  dependsOn: () => ['link-entities'],
  async run({ db }) {
    const r = await discoverRelationships(db);
    // The table is rebuilt each run: every relationship is written anew.
    return { records: r.relationships, result: r, counts: { created: r.relationships } };
  },
});
