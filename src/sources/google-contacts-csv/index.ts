import { defineSource } from '../source-declaration.js';

/** A Google Contacts CSV export: one contact per row. */
export const source = defineSource({
  type: 'google-contacts-csv',
  kind: 'file',
  role: 'collection',
  description: 'Google Contacts export (contacts.csv)',
  cursor: 'none',
  people: 'address-book',
  interactions: [],
  parser: async () => (await import('./google-contacts-csv.parser.js')).parser,
});
