import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Twenty's webhook signature as its server really computes it (external-apis.md): lowercase
 * hex HMAC-SHA256, keyed by the webhook's secret, over `${timestamp}:${JSON.stringify(body)}`
 * where the timestamp is epoch milliseconds sent in X-Twenty-Webhook-Timestamp.
 */
export const TWENTY_TIMESTAMP_HEADER = 'x-twenty-webhook-timestamp';
export const TWENTY_SIGNATURE_HEADER = 'x-twenty-webhook-signature';
export const TWENTY_NONCE_HEADER = 'x-twenty-webhook-nonce';
export const TWENTY_DEFAULT_TOLERANCE_MS = 5 * 60_000;

export function signTwentyWebhook(secret: string, timestampMs: number | string, bodyText: string): string {
  return createHmac('sha256', secret).update(`${timestampMs}:${bodyText}`).digest('hex');
}

export type TwentyVerifyFailure = 'missing_timestamp' | 'missing_signature' | 'bad_timestamp' | 'stale_timestamp' | 'bad_signature';
export type TwentyVerifyResult = { ok: true; timestampMs: number } | { ok: false; reason: TwentyVerifyFailure };

export interface TwentyVerifyInput {
  secret: string;
  timestampHeader: string | string[] | undefined;
  signatureHeader: string | string[] | undefined;
  /** The body exactly as received (before any JSON parsing). */
  rawBody: string | Buffer;
  nowMs: number;
  toleranceMs?: number;
}

function single(h: string | string[] | undefined): string | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  return v?.trim() || undefined;
}

function hexEqual(expectedHex: string, givenHex: string): boolean {
  const a = Buffer.from(expectedHex, 'hex');
  const b = Buffer.from(givenHex, 'hex');
  // Length differences leak nothing useful (the expected length is public: 32 bytes).
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Check a delivery: timestamp present, numeric and within `toleranceMs` of now (either side),
 * then the signature in constant time. Twenty signs `JSON.stringify(body)` and sends the same
 * text, so the raw body is tried first; a body re-serialised on the way (a proxy pretty-printing
 * it) is accepted when its compact JSON form matches.
 */
export function verifyTwentyWebhook(input: TwentyVerifyInput): TwentyVerifyResult {
  const ts = single(input.timestampHeader);
  if (ts === undefined) return { ok: false, reason: 'missing_timestamp' };
  const sig = single(input.signatureHeader)?.toLowerCase();
  if (sig === undefined) return { ok: false, reason: 'missing_signature' };
  if (!/^\d{1,16}$/.test(ts)) return { ok: false, reason: 'bad_timestamp' };
  const timestampMs = Number(ts);
  const tolerance = input.toleranceMs ?? TWENTY_DEFAULT_TOLERANCE_MS;
  if (Math.abs(input.nowMs - timestampMs) > tolerance) return { ok: false, reason: 'stale_timestamp' };
  if (!/^[0-9a-f]{64}$/.test(sig)) return { ok: false, reason: 'bad_signature' };

  const raw = typeof input.rawBody === 'string' ? input.rawBody : input.rawBody.toString('utf8');
  if (hexEqual(signTwentyWebhook(input.secret, ts, raw), sig)) return { ok: true, timestampMs };
  let compact: string | undefined;
  try {
    compact = JSON.stringify(JSON.parse(raw));
  } catch {
    compact = undefined;
  }
  if (compact !== undefined && compact !== raw && hexEqual(signTwentyWebhook(input.secret, ts, compact), sig)) {
    return { ok: true, timestampMs };
  }
  return { ok: false, reason: 'bad_signature' };
}
