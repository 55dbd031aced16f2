import { defineSource } from '../source-declaration.js';

/** A vCard address book (.vcf): one contact per card. */
export const source = defineSource({
  type: 'vcard',
  kind: 'file',
  role: 'collection',
  description: 'address book (.vcf)',
  cursor: 'none',
  people: 'address-book',
  interactions: [],
  parser: async () => (await import('./vcard.parser.js')).parser,
});
