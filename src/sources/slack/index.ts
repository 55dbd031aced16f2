import { z } from 'zod';
import { defineSource } from '../source-declaration.js';

const CONVERSATION_TYPES = ['public_channel', 'private_channel', 'mpim', 'im'] as const;

/** The fields of a `slack` entry in kith.config.yaml (besides `type` and `id`). */
export const slackConfig = z.object({
  /** The Web API root, passed to the SDK as `slackApiUrl` (a proxy, or a loopback emulator). */
  base_url: z
    .string()
    .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an http(s) URL such as https://slack.com/api/')
    .default('https://slack.com/api/'),
  /**
   * The rate-limit tier of conversations.history and conversations.replies: `internal` (an
   * internal or Marketplace app: Tier 3, 50 requests a minute, up to 1,000 messages a page) or
   * `non-marketplace` (a commercially distributed app not approved for the Marketplace: 1 request
   * a minute and at most 15 messages a request, Slack's rule since 2025).
   */
  tier: z.enum(['internal', 'non-marketplace']).default('internal'),
  /** Conversation types read (all that the token can see by default). */
  types: z.array(z.enum(CONVERSATION_TYPES)).min(1, 'must name at least one type').default([...CONVERSATION_TYPES]),
  /** Only these channels (names without `#`, or ids); unset: every conversation of `types`. */
  channels: z.array(z.string().min(1, 'must not be empty')).optional(),
  /** Channels left out (names or ids). */
  exclude_channels: z.array(z.string().min(1, 'must not be empty')).default([]),
  /** Messages asked for per history page under the `internal` tier (`non-marketplace` caps it at 15). */
  page_size: z.number().int('must be a whole number').min(1, 'must be ≥ 1').max(999, 'must be ≤ 999').default(200),
  /**
   * Days a thread is followed after its parent was posted: a reply to an older message is not in
   * the history after the stored point, so each run asks conversations.replies for the threads
   * this young (one request each: under `non-marketplace`, a minute each). 0: not followed.
   */
  thread_days: z.number().int('must be a whole number').min(0, 'must be ≥ 0').max(3650, 'must be ≤ 3650').default(7),
  /**
   * The window Slack counts each method's requests over, in ms (a minute). Only shortened against
   * an emulator; the tiers' request counts stay as they are.
   */
  rate_window_ms: z.number().int('must be a whole number').min(100, 'must be ≥ 100').max(60_000, 'must be ≤ 60000').default(60_000),
});

export type SlackConfig = z.infer<typeof slackConfig> & { id: string };

/** A Slack workspace through the Web API: members, then each conversation's history and threads. */
export const source = defineSource({
  type: 'slack',
  kind: 'api',
  role: 'collection',
  description: 'Slack workspace through the Web API (members, conversations, history and threads)',
  config: slackConfig,
  cursor: 'api-cursor',
  people: 'participants',
  interactions: ['slack'],
  // A member reached through the API or the export is one entity (the export's, keyed by user id).
  entitySource: 'slack-export',
  // Small commits: under the non-Marketplace tier a page of 15 messages takes a minute, and a
  // stopped run should lose minutes, not an hour (each commit carries its cursor).
  batchSize: 45,
  parser: async () => (await import('./slack.reader.js')).parser,
});
