import { z } from 'zod';
import { defineSource } from '../source-declaration.js';

/** The fields of a `gmail` entry in kith.config.yaml (besides `type` and `id`). */
export const gmailConfig = z.object({
  /** The Gmail API root, passed to the SDK as `rootUrl` (a proxy, or a loopback emulator). */
  base_url: z
    .string()
    .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an http(s) URL such as https://gmail.googleapis.com/')
    .default('https://gmail.googleapis.com/'),
  /** The mailbox: `me` (the account's own) or its address. */
  user: z.string().min(1, 'must not be empty').default('me'),
  /** Messages read at once (under the shared quota). */
  concurrency: z.number().int('must be a whole number').min(1, 'must be ≥ 1').max(50, 'must be ≤ 50').default(10),
  /** Messages per list page (Gmail allows up to 500). */
  page_size: z.number().int('must be a whole number').min(1, 'must be ≥ 1').max(500, 'must be ≤ 500').default(500),
  /** Gmail's per-user quota, units a second (250 for Gmail; lower it to leave room for other clients). */
  quota_units_per_s: z.number().int('must be a whole number').min(5, 'must be ≥ 5').max(250, 'must be ≤ 250').default(250),
});

export type GmailConfig = z.infer<typeof gmailConfig> & { id: string };

/** Gmail through its API: the messages' headers and labels, then the mailbox history. */
export const source = defineSource({
  type: 'gmail',
  kind: 'api',
  role: 'collection',
  description: 'Gmail mailbox through the Gmail API (messages, then history)',
  config: gmailConfig,
  cursor: 'api-cursor',
  people: 'participants',
  interactions: ['gmail'],
  batchSize: 500,
  parser: async () => (await import('./gmail.reader.js')).parser,
});
