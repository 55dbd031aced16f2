import { STATUS_CODES } from 'node:http';
import { Agent, type Dispatcher, request } from 'undici';

/** Statuses whose response may carry no body (the Response constructor refuses one). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** The field of an error body that carries the server's Retry-After, in milliseconds (read by supabaseError). */
export const RETRY_AFTER_FIELD = 'retry_after_ms';

/** Retry-After as seconds or an HTTP date → milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs = Date.now()): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.ceil(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * PostgREST's client keeps a failed response's body (as the error object) and drops its
 * headers, so a 429's or 503's Retry-After is copied into the body's JSON, where supabaseError
 * finds it. A body that is not a JSON object becomes one with the text as its message.
 */
export function withRetryAfter(body: string, retryAfterMs: number): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const obj = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { message: body.trim() || 'no error message' };
  return JSON.stringify({ ...obj, [RETRY_AFTER_FIELD]: retryAfterMs });
}

/**
 * supabase-js's `global.fetch` for a server process: each request goes over an undici
 * connection pool (`undici.request`) and the body is read whole, then handed back as a standard
 * Response (status, statusText, headers, text/json — all PostgREST's client reads). Node's own
 * fetch builds a Request, web streams and abort plumbing around every call, which cost a hub
 * worker more CPU than the rest of its Supabase write. Errors are undici's (a TypeError-like
 * network error, or the signal's AbortError), which supabase-js reports as it does fetch's.
 * A 429 or 503 carrying Retry-After keeps it in its body (withRetryAfter).
 */
export function pooledFetch(opts: { connections?: number } = {}): typeof fetch {
  const agent = new Agent({ connections: opts.connections ?? 16, keepAliveTimeout: 30_000 });
  return (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    // supabase-js passes a URL string; anything else goes to the standard fetch.
    if (typeof input !== 'string' && !(input instanceof URL)) return fetch(input, init);
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, key) => {
      headers[key] = value;
    });
    const res = await request(input, {
      method: (init?.method ?? 'GET') as Dispatcher.HttpMethod,
      headers,
      body: (init?.body ?? undefined) as string | Uint8Array | undefined,
      signal: init?.signal ?? undefined,
      dispatcher: agent,
    });
    let body = await res.body.text();
    const retryAfterMs = res.statusCode === 429 || res.statusCode === 503 ? parseRetryAfter(res.headers['retry-after']) : undefined;
    if (retryAfterMs !== undefined) body = withRetryAfter(body, retryAfterMs);
    const out = new Headers();
    for (const [key, value] of Object.entries(res.headers)) {
      if (value === undefined) continue;
      for (const one of Array.isArray(value) ? value : [value]) out.append(key, one);
    }
    return new Response(NULL_BODY.has(res.statusCode) ? null : body, { status: res.statusCode, statusText: STATUS_CODES[res.statusCode] ?? '', headers: out });
  }) as typeof fetch;
}
