import { z } from 'zod';
import { PEOPLE_READS_PER_MINUTE } from '../../systems/google/google-quota.js';
import { defineSource } from '../source-declaration.js';

/** The fields of a `google-contacts` entry in kith.config.yaml (besides `type` and `id`). */
export const googleContactsConfig = z.object({
  /** The People API root, passed to the SDK as `rootUrl` (a proxy, or a loopback emulator). */
  base_url: z
    .string()
    .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an http(s) URL such as https://people.googleapis.com/')
    .default('https://people.googleapis.com/'),
  /** Connections per page (People allows up to 1000). */
  page_size: z.number().int('must be a whole number').min(1, 'must be ≥ 1').max(1000, 'must be ≤ 1000').default(1000),
  /** The account's contact reads a minute (Google's default per-user quota: 90; lower it to leave room for other clients). */
  reads_per_minute: z.number().int('must be a whole number').min(1, 'must be ≥ 1').max(PEOPLE_READS_PER_MINUTE, `must be ≤ ${PEOPLE_READS_PER_MINUTE}`).default(PEOPLE_READS_PER_MINUTE),
});

export type GoogleContactsConfig = z.infer<typeof googleContactsConfig> & { id: string };

/** Google Contacts through the People API: every connection, then the changes since a sync token. */
export const source = defineSource({
  type: 'google-contacts',
  kind: 'api',
  role: 'collection',
  description: 'Google Contacts through the People API (connections, then changes by sync token)',
  config: googleContactsConfig,
  cursor: 'api-cursor',
  people: 'address-book',
  interactions: [],
  batchSize: 500,
  parser: async () => (await import('./people.reader.js')).parser,
});
