import { RequestLimiter } from '../limits/request-limiter.js';
import { SLACK_API_URL } from './slack-account.js';
import { SlackClient } from './slack-client.js';
import { methodLimit, SLACK_WINDOW_MS } from './slack-tiers.js';

export interface SlackIdentity {
  team?: string;
  team_id?: string;
  user?: string;
  user_id?: string;
  /** The token's scopes (Slack's x-oauth-scopes header). */
  scopes: string[];
}

/** `auth.test` with a token: whose it is and its scopes; a refused token is the error table's AuthError. */
export async function checkSlackToken(token: string, baseUrl: string = SLACK_API_URL): Promise<SlackIdentity> {
  const limiter = new RequestLimiter({ ...{ limit: methodLimit('auth.test', 'internal').perWindow }, windowMs: SLACK_WINDOW_MS, service: 'Slack auth.test' });
  const client = new SlackClient({ baseUrl, token, limiter: () => limiter, maxRetries: 2, backoffMs: 500 });
  const r = await client.call<{ team?: string; team_id?: string; user?: string; user_id?: string; response_metadata?: { scopes?: string[] } }>('auth.test', {});
  return {
    ...(r.team ? { team: r.team } : {}),
    ...(r.team_id ? { team_id: r.team_id } : {}),
    ...(r.user ? { user: r.user } : {}),
    ...(r.user_id ? { user_id: r.user_id } : {}),
    scopes: r.response_metadata?.scopes ?? [],
  };
}
