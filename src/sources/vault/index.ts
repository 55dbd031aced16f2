import { defineSource } from '../source-declaration.js';

/**
 * An Obsidian-style Markdown vault: people mentioned in notes (and meeting notes). A vault is
 * rescanned whole and a note that no longer mentions someone loses that interaction.
 */
export const source = defineSource({
  type: 'vault',
  kind: 'file',
  role: 'collection',
  description: 'Markdown vault (Obsidian)',
  cursor: 'none',
  people: 'participants',
  interactions: ['vault', 'granola'],
  replacesItemRows: true,
  parser: async () => (await import('./vault.parser.js')).parser,
});
