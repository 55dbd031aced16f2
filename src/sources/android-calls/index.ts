import { defineSource } from '../source-declaration.js';

/** SMS Backup & Restore XML backups: calls and text messages. */
export const source = defineSource({
  type: 'android-calls',
  kind: 'file',
  role: 'collection',
  description: 'Android call log and SMS backups (SMS Backup & Restore XML)',
  cursor: 'none',
  people: 'participants',
  interactions: ['phone', 'sms'],
  parser: async () => (await import('./android-calls.parser.js')).parser,
});
