import { z } from 'zod';
import { defineSource } from '../source-declaration.js';

/** The fields of a `google-calendar` entry in kith.config.yaml (besides `type` and `id`). */
export const googleCalendarConfig = z.object({
  /** The API root, passed to the SDK as `rootUrl` (a proxy, or a loopback emulator). */
  base_url: z
    .string()
    .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an http(s) URL such as https://www.googleapis.com/')
    .default('https://www.googleapis.com/'),
  /** The calendars read, by id (`primary`: the account's own; others by their address). */
  calendars: z
    .array(z.string().trim().min(1, 'must not be empty'), { error: 'must be a list of calendar ids' })
    .min(1, 'must name at least one calendar (default: [primary])')
    .refine((l) => new Set(l).size === l.length, 'must not name a calendar twice')
    .default(['primary']),
  /** Events per page (Calendar allows up to 2,500). */
  page_size: z.number().int('must be a whole number').min(1, 'must be ≥ 1').max(2500, 'must be ≤ 2500').default(250),
  /** Calendar's per-user limit, requests a minute (600 by default; lower it to leave room for other clients). */
  requests_per_minute: z.number().int('must be a whole number').min(1, 'must be ≥ 1').max(10_000, 'must be ≤ 10000').default(600),
});

export type GoogleCalendarConfig = z.infer<typeof googleCalendarConfig> & { id: string };

/**
 * Google Calendar through its API: each selected calendar's events (recurring ones as their
 * instances), then what changed since its sync token. An instance has the key the .ics export
 * gives it, and is re-read whole when it changes (a declined attendee loses the interaction).
 */
export const source = defineSource({
  type: 'google-calendar',
  kind: 'api',
  role: 'collection',
  description: 'Google Calendar through the Calendar API (events, then changes by sync token)',
  config: googleCalendarConfig,
  cursor: 'api-cursor',
  people: 'participants',
  interactions: ['calendar'],
  replacesItemRows: true,
  batchSize: 500,
  parser: async () => (await import('./calendar.reader.js')).parser,
});
