import { STATUS_CODES } from 'node:http';
import { Agent, type Dispatcher, request } from 'undici';

/** Statuses whose response may carry no body (the Response constructor refuses one). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * supabase-js's `global.fetch` for a server process: each request goes over an undici
 * connection pool (`undici.request`) and the body is read whole, then handed back as a standard
 * Response (status, statusText, headers, text/json — all PostgREST's client reads). Node's own
 * fetch builds a Request, web streams and abort plumbing around every call, which cost a hub
 * worker more CPU than the rest of its Supabase write. Errors are undici's (a TypeError-like
 * network error, or the signal's AbortError), which supabase-js reports as it does fetch's.
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
    const body = await res.body.text();
    const out = new Headers();
    for (const [key, value] of Object.entries(res.headers)) {
      if (value === undefined) continue;
      for (const one of Array.isArray(value) ? value : [value]) out.append(key, one);
    }
    return new Response(NULL_BODY.has(res.statusCode) ? null : body, { status: res.statusCode, statusText: STATUS_CODES[res.statusCode] ?? '', headers: out });
  }) as typeof fetch;
}
