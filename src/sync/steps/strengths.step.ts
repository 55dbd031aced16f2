import { computeStrengths } from '../../people/strengths.service.js';
import { PIPELINE_QUEUE } from '../pipeline-queues.js';
import { defineStep } from './step-declaration.js';

/** Phase 3b: relationship strengths, after discovery, on the same queue. */
export const strengthsStep = defineStep({
  name: 'strengths',
  phase: 3,
  queue: PIPELINE_QUEUE.relationships,
  failurePolicy: 'fail-run',
  dependsOn: () => ['relationships'],
  async run({ db }) {
    const r = await computeStrengths(db, Date.now());
    return { records: r.updated, result: r, counts: { updated: r.updated } };
  },
});
