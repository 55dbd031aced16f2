import { describe, expect, it } from 'vitest';
import { CursorInvalidError } from '../../../src/errors.js';
import { keepConversation, toConversation } from '../../../src/sources/slack/slack-conversation.mapper.js';
import { formatSlackCursor, laterTs, parseSlackCursor } from '../../../src/sources/slack/slack-cursor.js';
import { slackConfig } from '../../../src/sources/slack/index.js';

describe('the Slack source cursor', () => {
  it('round-trips each conversation ts and a stopped pass', () => {
    const c = { v: 1 as const, conversations: { C1: { oldest: '1770023400.000300' }, D1: {} }, paging: { id: 'C2', cursor: 'bmV4dA==', top: '1770112800.000100' } };
    expect(parseSlackCursor(formatSlackCursor(c))).toEqual(c);
  });

  it('refuses what it did not write', () => {
    for (const raw of ['nope', '{}', '{"v":1,"conversations":[]}', '{"v":1,"conversations":{"C1":{"oldest":"yesterday"}}}', '{"v":1,"conversations":{},"paging":{"id":"C1"}}']) {
      expect(() => parseSlackCursor(raw)).toThrow(CursorInvalidError);
    }
  });

  it('orders Slack timestamps as numbers', () => {
    expect(laterTs('1770023400.000300', '1770023400.0003')).toBe('1770023400.000300');
    expect(laterTs('999999999.9', '1000000000.1')).toBe('1000000000.1');
    expect(laterTs(undefined, '1770023400.000300')).toBe('1770023400.000300');
    expect(laterTs('1770023400.000400', '1770023400.000300')).toBe('1770023400.000400');
  });
});

describe("the Slack source's conversations", () => {
  it('maps API conversations to the kinds the export uses', () => {
    expect(toConversation({ id: 'C1', name: 'general', is_channel: true }, ['U1'])).toEqual({ id: 'C1', folder: 'general', kind: 'channel', name: 'general', members: ['U1'] });
    expect(toConversation({ id: 'G1', name: 'secret', is_group: true, is_private: true }, []).kind).toBe('private');
    expect(toConversation({ id: 'G2', name: 'mpdm-a--b-1', is_mpim: true, is_private: true }, []).kind).toBe('group-dm');
    expect(toConversation({ id: 'D1', is_im: true, user: 'U2' }, ['U1', 'U2'])).toMatchObject({ kind: 'dm', folder: 'D1' });
  });

  it('keeps the configured channels by name or id, minus the excluded ones', () => {
    const general = { id: 'C1', name: 'general' };
    expect(keepConversation(general, undefined, [])).toBe(true);
    expect(keepConversation(general, ['#general'], [])).toBe(true);
    expect(keepConversation(general, ['C1'], [])).toBe(true);
    expect(keepConversation(general, ['random'], [])).toBe(false);
    expect(keepConversation(general, undefined, ['general'])).toBe(false);
  });

  it('validates its entry: tier names and page sizes', () => {
    expect(slackConfig.parse({})).toMatchObject({ base_url: 'https://slack.com/api/', tier: 'internal', page_size: 200, rate_window_ms: 60_000 });
    const bad = slackConfig.safeParse({ tier: 'marketplace' });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(['tier']);
    expect(slackConfig.safeParse({ base_url: 'ftp://x' }).error!.issues[0]!.message).toMatch(/http\(s\) URL/);
  });
});
