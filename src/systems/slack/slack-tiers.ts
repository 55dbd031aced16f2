/**
 * Slack's per-method rate limits, counted per workspace and app. `users.list` and
 * `conversations.list` are Tier 2 (20 a minute), `conversations.members` Tier 4 (100), `auth.test`
 * a special tier (we count it as Tier 4). `conversations.history` and `conversations.replies`
 * follow the configured tier: `internal` (internal and Marketplace apps: Tier 3, 50 a minute,
 * up to 1,000 messages a page) or `non-marketplace` (the 2025 rule for commercially distributed
 * apps not approved for the Marketplace: 1 request a minute and at most 15 messages a request).
 */
export type SlackTier = 'internal' | 'non-marketplace';

export type SlackMethod = 'auth.test' | 'users.list' | 'conversations.list' | 'conversations.members' | 'conversations.history' | 'conversations.replies';

export interface MethodLimit {
  /** Requests allowed per window (a minute). */
  perWindow: number;
  /** Most items one request may ask for (`limit`). */
  maxPage: number;
}

export const TIER_2: MethodLimit = { perWindow: 20, maxPage: 1000 };
export const TIER_3: MethodLimit = { perWindow: 50, maxPage: 1000 };
export const TIER_4: MethodLimit = { perWindow: 100, maxPage: 1000 };
export const NON_MARKETPLACE: MethodLimit = { perWindow: 1, maxPage: 15 };

/** The window Slack counts a method's requests over. */
export const SLACK_WINDOW_MS = 60_000;

export function methodLimit(method: SlackMethod, tier: SlackTier): MethodLimit {
  switch (method) {
    case 'users.list':
    case 'conversations.list':
      return TIER_2;
    case 'conversations.history':
    case 'conversations.replies':
      return tier === 'non-marketplace' ? NON_MARKETPLACE : TIER_3;
    default:
      return TIER_4;
  }
}

/** The limiter key of one method in one workspace (the deployment's prefix carries its hash tag). */
export const slackLimiterKey = (prefix: string, team: string, method: SlackMethod) => `${prefix}:slack:${team}:${method}`;
