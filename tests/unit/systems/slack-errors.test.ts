import { describe, expect, it } from 'vitest';
import { AuthError, FatalError, NotFoundError } from '../../../src/errors.js';
import { classifySlackError } from '../../../src/systems/slack/slack-errors.js';
import { methodLimit, slackLimiterKey } from '../../../src/systems/slack/slack-tiers.js';

describe("Slack's error table", () => {
  it('waits out 429 and `ratelimited` for the Retry-After, without calling them errors', () => {
    expect(classifySlackError('x', { status: 429, retryAfterS: 30 })).toEqual({ kind: 'rate_limited', retryAfterMs: 30_000 });
    expect(classifySlackError('x', { error: 'ratelimited' })).toEqual({ kind: 'rate_limited' });
  });

  it('retries 5xx, internal_error and network errors', () => {
    expect(classifySlackError('x', { status: 503 })).toMatchObject({ kind: 'server', status: 503 });
    expect(classifySlackError('x', { error: 'internal_error' })).toMatchObject({ kind: 'server', reason: 'internal_error' });
    expect(classifySlackError('x', { network: 'ECONNRESET' })).toMatchObject({ kind: 'server', reason: 'ECONNRESET' });
  });

  it('stops on a refused token saying to run kith auth slack, and on a missing scope naming it', () => {
    for (const error of ['invalid_auth', 'token_revoked', 'not_authed', 'account_inactive']) {
      const f = classifySlackError('conversations.list', { error });
      expect(f.kind === 'error' && f.error).toBeInstanceOf(AuthError);
      expect(f.kind === 'error' && f.error.message).toMatch(new RegExp(`${error}.*kith auth slack`));
    }
    const scope = classifySlackError('conversations.history C1', { error: 'missing_scope', needed: 'groups:history' });
    expect(scope.kind === 'error' && scope.error).toBeInstanceOf(AuthError);
    expect(scope.kind === 'error' && scope.error.message).toMatch(/conversations\.history C1: the token lacks the scope groups:history.*kith auth slack/);
  });

  it('tells a conversation gone, an expired page cursor and other refusals apart', () => {
    for (const error of ['channel_not_found', 'not_in_channel']) {
      const f = classifySlackError('x', { error });
      expect(f.kind === 'error' && f.error).toBeInstanceOf(NotFoundError);
    }
    expect(classifySlackError('x', { error: 'invalid_cursor' })).toEqual({ kind: 'invalid_cursor' });
    const other = classifySlackError('x', { error: 'invalid_arguments' });
    expect(other.kind === 'error' && other.error).toBeInstanceOf(FatalError);
  });
});

describe("Slack's tiers", () => {
  it('counts users.list and conversations.list as Tier 2 and history/replies by the configured tier', () => {
    expect(methodLimit('users.list', 'internal').perWindow).toBe(20);
    expect(methodLimit('conversations.list', 'non-marketplace').perWindow).toBe(20);
    expect(methodLimit('conversations.history', 'internal')).toEqual({ perWindow: 50, maxPage: 1000 });
    expect(methodLimit('conversations.replies', 'non-marketplace')).toEqual({ perWindow: 1, maxPage: 15 });
    expect(slackLimiterKey('{kith}', 'T1', 'conversations.history')).toBe('{kith}:slack:T1:conversations.history');
  });
});
