import { defineSource } from '../source-declaration.js';

/** A LinkedIn data export folder: connections become contacts, messages interactions. */
export const source = defineSource({
  type: 'linkedin',
  kind: 'file',
  role: 'collection',
  description: 'LinkedIn data export (Connections.csv, messages.csv)',
  cursor: 'none',
  people: 'address-book',
  interactions: ['linkedin'],
  parser: async () => (await import('./linkedin.parser.js')).parser,
});
