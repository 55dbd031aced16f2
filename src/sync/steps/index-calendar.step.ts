import { indexItems } from '../../search/index.service.js';
import { sourceDeclaration } from '../../sources/registry.js';
import { PIPELINE_QUEUE } from '../pipeline-queues.js';
import { indexOutput } from './index-search.js';
import { defineStep } from './step-declaration.js';

/** Phase 4: calendar events into the search index, as soon as every calendar source is collected. */
export const indexCalendarStep = defineStep({
  name: 'index-calendar',
  phase: 4,
  queue: PIPELINE_QUEUE.index,
  failurePolicy: 'continue',
  dependsOn: (planned) => planned.ids('collect', (s) => (sourceDeclaration(s.type).interactions as readonly string[]).includes('calendar')),
  async run({ db }) {
    return indexOutput(db, 'calendar', await indexItems(db, 'calendar'));
  },
});
