import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signTwentyWebhook, verifyTwentyWebhook } from '../../../../src/systems/twenty/webhook-signature.js';
import { describeTwentyPayloadError, splitEventName, twentyWebhookPayload } from '../../../../src/systems/twenty/webhook-payload.js';

const secret = 'whsec-test-secret';
const body = {
  targetUrl: 'http://127.0.0.1:3000/webhooks/twenty',
  eventName: 'person.updated',
  objectMetadata: { id: 'obj-1', nameSingular: 'person' },
  workspaceId: 'ws-1',
  webhookId: 'wh-1',
  eventDate: '2026-02-01T10:00:00.000Z',
  record: { id: '7d9c2a7e-1c1b-4f3e-9a53-1f1c5e1f0a01', name: { firstName: 'Ada', lastName: 'Lovelace' } },
  updatedFields: ['name'],
};
const raw = JSON.stringify(body);
const now = 1_780_000_000_000;

function verify(over: Partial<Parameters<typeof verifyTwentyWebhook>[0]> = {}) {
  const ts = String(now - 1000);
  return verifyTwentyWebhook({ secret, timestampHeader: ts, signatureHeader: signTwentyWebhook(secret, ts, raw), rawBody: raw, nowMs: now, ...over });
}

describe('Twenty webhook signature', () => {
  it('matches an independent HMAC over `${timestamp}:${JSON.stringify(body)}`', () => {
    const expected = createHmac('sha256', secret).update(`123:${raw}`).digest('hex');
    expect(signTwentyWebhook(secret, 123, raw)).toBe(expected);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts a valid delivery (string or Buffer body, upper-case hex)', () => {
    expect(verify()).toEqual({ ok: true, timestampMs: now - 1000 });
    expect(verify({ rawBody: Buffer.from(raw) }).ok).toBe(true);
    const ts = String(now);
    expect(verify({ timestampHeader: ts, signatureHeader: signTwentyWebhook(secret, ts, raw).toUpperCase() }).ok).toBe(true);
  });

  it('accepts a body re-serialised on the way when its compact form is what was signed', () => {
    const ts = String(now);
    expect(verify({ timestampHeader: ts, signatureHeader: signTwentyWebhook(secret, ts, raw), rawBody: JSON.stringify(body, null, 2) }).ok).toBe(true);
  });

  it('rejects a tampered body', () => {
    expect(verify({ rawBody: raw.replace('Lovelace', 'Byron') })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a wrong secret', () => {
    expect(verify({ secret: 'another-secret' })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a stale or far-future timestamp, honouring the tolerance', () => {
    const old = String(now - 5 * 60_000 - 1);
    expect(verify({ timestampHeader: old, signatureHeader: signTwentyWebhook(secret, old, raw) })).toEqual({ ok: false, reason: 'stale_timestamp' });
    const future = String(now + 6 * 60_000);
    expect(verify({ timestampHeader: future, signatureHeader: signTwentyWebhook(secret, future, raw) }).ok).toBe(false);
    expect(verify({ timestampHeader: old, signatureHeader: signTwentyWebhook(secret, old, raw), toleranceMs: 10 * 60_000 }).ok).toBe(true);
  });

  it('rejects a signature made with another timestamp than the header', () => {
    expect(verify({ signatureHeader: signTwentyWebhook(secret, now - 2000, raw) })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('names what is missing or malformed', () => {
    expect(verify({ timestampHeader: undefined })).toEqual({ ok: false, reason: 'missing_timestamp' });
    expect(verify({ signatureHeader: '' })).toEqual({ ok: false, reason: 'missing_signature' });
    expect(verify({ timestampHeader: '2026-02-01T10:00:00Z' })).toEqual({ ok: false, reason: 'bad_timestamp' });
    expect(verify({ signatureHeader: 'abc' })).toEqual({ ok: false, reason: 'bad_signature' });
  });
});

describe('Twenty webhook payload', () => {
  it('parses the real server shape and keeps unknown record fields', () => {
    const p = twentyWebhookPayload.parse(body);
    expect(p.record.name).toEqual({ firstName: 'Ada', lastName: 'Lovelace' });
    expect(splitEventName(p.eventName)).toEqual({ object: 'person', action: 'updated' });
  });

  it('names the offending field', () => {
    const r1 = twentyWebhookPayload.safeParse({ ...body, record: { name: {} } });
    expect(r1.success).toBe(false);
    if (!r1.success) expect(describeTwentyPayloadError(r1.error)).toMatch(/^record\.id: /);
    const r2 = twentyWebhookPayload.safeParse({ ...body, eventName: 'person.exploded' });
    if (!r2.success) expect(describeTwentyPayloadError(r2.error)).toMatch(/^eventName: must be/);
    expect(r2.success).toBe(false);
    const r3 = twentyWebhookPayload.safeParse({ ...body, objectMetadata: undefined });
    if (!r3.success) expect(describeTwentyPayloadError(r3.error)).toMatch(/^objectMetadata: /);
    expect(r3.success).toBe(false);
  });
});
