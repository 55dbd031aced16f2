import { defineSource } from '../source-declaration.js';

/** macOS Messages' chat.db, read-only: iMessage and SMS messages. */
export const source = defineSource({
  type: 'imessage',
  kind: 'file',
  role: 'collection',
  description: 'macOS Messages database (chat.db)',
  cursor: 'row-id',
  people: 'participants',
  interactions: ['imessage', 'sms'],
  parser: async () => (await import('./imessage.parser.js')).parser,
});
