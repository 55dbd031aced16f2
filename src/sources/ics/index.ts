import { defineSource } from '../source-declaration.js';

/** A calendar export (.ics): one interaction per event occurrence with its attendees. */
export const source = defineSource({
  type: 'ics',
  kind: 'file',
  role: 'collection',
  description: 'calendar export (.ics)',
  cursor: 'none',
  people: 'participants',
  interactions: ['calendar'],
  parser: async () => (await import('./ics.parser.js')).parser,
});
