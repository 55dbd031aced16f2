import { defineSource } from '../source-declaration.js';

/** A WhatsApp "Export chat" text file or folder: one interaction per message. */
export const source = defineSource({
  type: 'whatsapp',
  kind: 'file',
  role: 'collection',
  description: 'WhatsApp chat export (_chat.txt)',
  cursor: 'append-offset',
  people: 'participants',
  interactions: ['whatsapp'],
  parser: async () => (await import('./whatsapp.parser.js')).parser,
});
