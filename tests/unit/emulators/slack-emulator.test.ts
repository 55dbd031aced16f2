import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SlackEmulator, startSlackEmulator } from '../../emulators/slack/slack-emulator.js';

/** The emulator as the real @slack/web-api sees it: Slack's wire format, paging, tiers and refusals. */
describe('the Slack emulator through @slack/web-api', () => {
  let em: SlackEmulator;
  let web: WebClient;
  beforeEach(async () => {
    em = await startSlackEmulator({ windowMs: 60_000, selfUser: 'U1' });
    em.addUser({ id: 'U1', name: 'me' }, { id: 'U2', name: 'ada' }, { id: 'U3', name: 'bob' });
    em.addConversation({ id: 'C1', name: 'general', kind: 'public_channel', members: ['U1', 'U2'] });
    em.addConversation({ id: 'G1', name: 'secret', kind: 'private_channel', members: ['U2', 'U3'] });
    em.addConversation({ id: 'D1', kind: 'im', members: ['U1', 'U2'] });
    em.post('C1', ...Array.from({ length: 20 }, (_, i) => ({ ts: `17700000${String(i).padStart(2, '0')}.000100`, user: 'U2', text: `m${i}` })));
    em.post('C1', { ts: '1770000019.000200', user: 'U1', text: 'reply', thread_ts: '1770000000.000100' });
    web = new WebClient(em.token, { slackApiUrl: em.url, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, logLevel: LogLevel.ERROR });
  });
  afterEach(() => em.close());

  it('pages with response_metadata.next_cursor, empty on the last page, and lists only what the token can see', async () => {
    const first = await web.users.list({ limit: 2 });
    expect(first.members!.map((u) => u.id)).toEqual(['U1', 'U2']);
    expect(first.response_metadata!.next_cursor).not.toBe('');
    const last = await web.users.list({ limit: 2, cursor: first.response_metadata!.next_cursor! });
    expect(last.members!.map((u) => u.id)).toEqual(['U3']);
    expect(last.response_metadata!.next_cursor).toBe('');
    const convs = await web.conversations.list({ types: 'public_channel,private_channel,mpim,im' });
    expect(convs.channels!.map((c) => c.id)).toEqual(['C1', 'D1']);
    expect(convs.channels!.find((c) => c.id === 'D1')).toMatchObject({ is_im: true, user: 'U2' });
    expect(first.response_metadata!.scopes).toContain('channels:history');
  });

  it('answers history newest first within oldest/latest (inclusive or not), with has_more, parents carrying reply counts', async () => {
    const page = await web.conversations.history({ channel: 'C1', limit: 5 });
    expect(page.messages!.map((m) => m.ts)).toEqual(['1770000019.000100', '1770000018.000100', '1770000017.000100', '1770000016.000100', '1770000015.000100']);
    expect(page.has_more).toBe(true);
    const range = await web.conversations.history({ channel: 'C1', oldest: '1770000001.000100', latest: '1770000003.000100' });
    expect(range.messages!.map((m) => m.ts)).toEqual(['1770000002.000100']);
    const inclusive = await web.conversations.history({ channel: 'C1', oldest: '1770000001.000100', latest: '1770000003.000100', inclusive: true });
    expect(inclusive.messages).toHaveLength(3);
    const oldestPage = await web.conversations.history({ channel: 'C1', oldest: '1770000000.000000', latest: '1770000000.999999' });
    expect(oldestPage.messages![0]).toMatchObject({ reply_count: 1, latest_reply: '1770000019.000200' });
    const replies = await web.conversations.replies({ channel: 'C1', ts: '1770000000.000100' });
    expect(replies.messages!.map((m) => m.ts)).toEqual(['1770000000.000100', '1770000019.000200']);
  });

  it('refuses with {ok:false, error} and HTTP 200: unknown channel, bad token, missing scope naming `needed`, expired cursor', async () => {
    await expect(web.conversations.history({ channel: 'G1' })).rejects.toMatchObject({ code: ErrorCode.PlatformError, data: { error: 'channel_not_found' } });
    const page = await web.conversations.history({ channel: 'C1', limit: 2 });
    em.expireCursors();
    await expect(web.conversations.history({ channel: 'C1', limit: 2, cursor: page.response_metadata!.next_cursor! })).rejects.toMatchObject({ data: { error: 'invalid_cursor' } });
    em.setToken('xoxp-narrow', ['users:read']);
    await expect(new WebClient('xoxp-narrow', { slackApiUrl: em.url, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR }).conversations.list({})).rejects.toMatchObject({ data: { error: 'missing_scope', needed: 'channels:read' } });
    em.revoke(em.token);
    await expect(web.auth.test()).rejects.toMatchObject({ data: { error: 'token_revoked' } });
    await expect(new WebClient('xoxp-nobody', { slackApiUrl: em.url, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR }).auth.test()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
  });

  it('enforces the non-Marketplace rule: at most 15 messages a request and one request a window, then 429 with Retry-After', async () => {
    em.setTier('non-marketplace');
    const page = await web.conversations.history({ channel: 'C1', limit: 100 });
    expect(page.messages).toHaveLength(15);
    await expect(web.conversations.history({ channel: 'C1' })).rejects.toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: expect.any(Number) });
    expect(em.stats.rateLimited).toBe(1);
    // Tier 2 methods keep their own budget.
    expect((await web.users.list({})).ok).toBe(true);
  });

  it('takes a JSON body as well as a form', async () => {
    const res = await fetch(`${em.url}conversations.history`, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${em.token}` }, body: JSON.stringify({ channel: 'C1', limit: 1 }) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { messages: unknown[] }).messages).toHaveLength(1);
  });
});
