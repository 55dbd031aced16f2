import { indexItems } from '../../search/index.service.js';
import { PIPELINE_QUEUE } from '../pipeline-queues.js';
import { indexOutput } from './index-search.js';
import { defineStep } from './step-declaration.js';

/** Phase 4: mail into the search index, once the people graph is built. */
export const indexMailStep = defineStep({
  name: 'index-mail',
  phase: 4,
  queue: PIPELINE_QUEUE.index,
  failurePolicy: 'continue',
  dependsOn: () => ['strengths'],
  async run({ db }) {
    return indexOutput(db, 'mail', await indexItems(db, 'mail'));
  },
});
