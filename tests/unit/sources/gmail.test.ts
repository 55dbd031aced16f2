import { describe, expect, it } from 'vitest';
import { CursorInvalidError } from '../../../src/errors.js';
import { formatGmailCursor, parseGmailCursor } from '../../../src/sources/gmail/gmail-cursor.js';
import { mapApiMessage, threadDecimal } from '../../../src/sources/gmail/gmail-message.mapper.js';

const headers = (h: Record<string, string>) => ({ headers: Object.entries(h).map(([name, value]) => ({ name, value })) });

describe('a Gmail API message', () => {
  it('maps to the key and conversation the Takeout mbox gives it', () => {
    const r = mapApiMessage({
      id: '18c',
      threadId: '19c8a6b5e4d3c201',
      labelIds: ['SENT'],
      snippet: 'it&#39;s fine',
      payload: headers({ From: 'Me <me@example.com>', To: 'Ada <ada@example.com>', Date: 'Mon, 2 Feb 2026 11:40:00 -0500', Subject: 'Re: x', 'Message-Id': '<sam-reply-1@mail.example.com>' }),
    });
    expect(r.kind).toBe('event');
    if (r.kind !== 'event') return;
    expect(r.event).toMatchObject({ sourceType: 'gmail', externalId: 'sam-reply-1@mail.example.com', conversationKey: BigInt('0x19c8a6b5e4d3c201').toString(10), fromSelf: true, snippet: "it's fine" });
  });

  it('drops drafts and spam, and skips a message without From or Date', () => {
    const ok = { From: 'a@example.com', Date: 'Mon, 2 Feb 2026 09:12:00 +0000' };
    expect(mapApiMessage({ labelIds: ['DRAFT'], payload: headers(ok) }).kind).toBe('drop');
    expect(mapApiMessage({ labelIds: ['SPAM'], payload: headers(ok) }).kind).toBe('drop');
    expect(mapApiMessage({ payload: headers({ Date: ok.Date }) })).toMatchObject({ kind: 'skip', reason: 'missing From header' });
  });

  it('reads the hex thread id as Takeout writes it', () => {
    expect(threadDecimal('1')).toBe('1');
    expect(threadDecimal('ff')).toBe('255');
    expect(threadDecimal('not-hex')).toBeUndefined();
  });
});

describe('the Gmail cursor', () => {
  it('round-trips and refuses what it did not write', () => {
    const c = { v: 1, mode: 'full', historyId: '123', pageToken: 'p' } as const;
    expect(parseGmailCursor(formatGmailCursor(c))).toEqual(c);
    expect(() => parseGmailCursor('42')).toThrow(CursorInvalidError);
    expect(() => parseGmailCursor('{"v":1,"mode":"history","historyId":"x"}')).toThrow(CursorInvalidError);
  });
});
