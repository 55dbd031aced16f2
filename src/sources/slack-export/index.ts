import { defineSource } from '../source-declaration.js';

/** A Slack workspace export: users become contacts, messages interactions. */
export const source = defineSource({
  type: 'slack-export',
  kind: 'file',
  role: 'collection',
  description: 'Slack workspace export',
  cursor: 'none',
  people: 'participants',
  interactions: ['slack'],
  parser: async () => (await import('./slack-export.parser.js')).parser,
});
