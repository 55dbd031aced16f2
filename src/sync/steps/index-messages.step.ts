import { indexItems } from '../../search/index.service.js';
import { PIPELINE_QUEUE } from '../pipeline-queues.js';
import { indexOutput } from './index-search.js';
import { defineStep } from './step-declaration.js';

/** Phase 4: Slack, WhatsApp, iMessage, SMS and LinkedIn messages into the search index, per conversation and day. */
export const indexMessagesStep = defineStep({
  name: 'index-messages',
  phase: 4,
  queue: PIPELINE_QUEUE.index,
  failurePolicy: 'continue',
  dependsOn: () => ['strengths'],
  async run({ db }) {
    return indexOutput(db, 'message', await indexItems(db, 'message'));
  },
});
