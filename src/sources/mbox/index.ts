import { defineSource } from '../source-declaration.js';

/** A Gmail (Google Takeout) or any mbox mailbox file: one interaction per message. */
export const source = defineSource({
  type: 'mbox',
  kind: 'file',
  role: 'collection',
  description: 'mailbox file (Google Takeout mbox)',
  cursor: 'append-offset',
  people: 'participants',
  interactions: ['gmail'],
  parser: async () => (await import('./mbox.parser.js')).parser,
});
