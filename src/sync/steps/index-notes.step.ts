import { indexNotes } from '../../search/index.service.js';
import { noteRoots } from '../../search/note-roots.js';
import { PIPELINE_QUEUE } from '../pipeline-queues.js';
import { indexOutput } from './index-search.js';
import { defineStep } from './step-declaration.js';

/**
 * Phase 4: vault notes and the documents content sync writes into the vault, into the search
 * index. It waits for the graph (phase 3) and for every content sync, so a document pulled
 * today is searchable today.
 */
export const indexNotesStep = defineStep({
  name: 'index-notes',
  phase: 4,
  queue: PIPELINE_QUEUE.index,
  failurePolicy: 'continue',
  dependsOn: (planned) => ['strengths', ...planned.ids('content')],
  async run({ db, details, log }) {
    const { missingFolders, ...counts } = await indexNotes(db, noteRoots(details.config.sources));
    if (missingFolders.length) log.warn({ missingFolders }, 'notes folders not found on this host: their chunks are kept as they were');
    return indexOutput(db, 'note', counts, { missingFolders });
  },
});
