import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type EmulatorFault, FaultList } from '../../emulator-faults.js';

/**
 * Loopback Google People API for tests, driven through the real SDK with `rootUrl`:
 * `people/me/connections` (personFields required, paging, `requestSyncToken`, changes since a
 * `syncToken` with deleted persons carrying `metadata.deleted`, 400 EXPIRED_SYNC_TOKEN once tokens
 * expire), `people/{id}` get, `people:createContact`, `people/{id}:updateContact` (the etag read
 * last is required; a stale one is 400 FAILED_PRECONDITION, as Google answers) and
 * `people/{id}:deleteContact`. Bearer tokens with scopes (401, 403 insufficientPermissions),
 * per-user reads and writes a minute (429 RESOURCE_EXHAUSTED with Retry-After) and injected faults
 * (429, 5xx bursts). A test edits contacts as a person would in Google Contacts.
 */
export const CONTACTS_SCOPE = 'https://www.googleapis.com/auth/contacts';
export const CONTACTS_READONLY_SCOPE = 'https://www.googleapis.com/auth/contacts.readonly';

type Json = Record<string, unknown>;

/** The parts of a person a test gives: People's own field shapes. */
export interface PersonInput {
  names?: { displayName?: string; givenName?: string; familyName?: string; unstructuredName?: string }[];
  emailAddresses?: { value: string; type?: string }[];
  phoneNumbers?: { value: string; type?: string }[];
  organizations?: { name?: string; title?: string }[];
  urls?: { value: string; type?: string }[];
}

const FIELDS = ['names', 'emailAddresses', 'phoneNumbers', 'organizations', 'urls', 'memberships', 'clientData'] as const;
const KNOWN_FIELDS = new Set<string>([...FIELDS, 'metadata', 'addresses', 'biographies', 'birthdays', 'photos', 'nicknames']);

interface Stored {
  resourceName: string;
  version: number;
  /** Change sequence of the last mutation (the sync token's unit). */
  seq: number;
  updateTime: string;
  deleted: boolean;
  fields: Partial<Record<(typeof FIELDS)[number], Json[]>>;
}

export type PeopleEmulator = Awaited<ReturnType<typeof startPeopleEmulator>>;

export async function startPeopleEmulator(opts: { readsPerMinute?: number; writesPerMinute?: number; now?: () => number } = {}) {
  const tokens = new Map<string, string[]>([['people-test-token', [CONTACTS_SCOPE]]]);
  const persons = new Map<string, Stored>();
  let seq = 1;
  let oldestSyncSeq = 0;
  let nextId = 1000;
  const faults = new FaultList();
  const stats = { requests: {} as Record<string, number>, rateLimited: 0, staleEtags: 0 };
  const spent = { reads: [] as number[], writes: [] as number[] };
  const now = () => opts.now?.() ?? Date.now();

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
    res.end(JSON.stringify(body));
  };
  const googleError = (res: ServerResponse, code: number, status: string, message: string, extra: Json = {}, headers: Record<string, string> = {}) => json(res, code, { error: { code, message, status, ...extra } }, headers);

  const etagOf = (p: Stored) => `%Eg${Buffer.from(`${p.resourceName}/${p.version}`).toString('base64url')}`;
  const view = (p: Stored): Json => {
    const id = p.resourceName.slice('people/'.length);
    const out: Json = {
      resourceName: p.resourceName,
      etag: etagOf(p),
      metadata: { sources: [{ type: 'CONTACT', id, etag: etagOf(p), updateTime: p.updateTime }], objectType: 'PERSON', ...(p.deleted ? { deleted: true } : {}) },
    };
    if (!p.deleted) for (const f of FIELDS) if (p.fields[f]?.length) out[f] = p.fields[f]!.map((x, i) => ({ metadata: { primary: i === 0, source: { type: 'CONTACT', id } }, ...x }));
    return out;
  };
  /** Keep only what a client may write (metadata and display-only fields are Google's). */
  const writable = (body: Json, only?: Set<string>): Stored['fields'] => {
    const out: Stored['fields'] = {};
    for (const f of FIELDS) {
      if (only && !only.has(f)) continue;
      const v = body[f];
      if (!Array.isArray(v)) continue;
      out[f] = (v as Json[]).map((x) => {
        const { metadata: _m, canonicalForm: _c, formattedType: _t, ...rest } = x;
        if (f === 'names') {
          const n = rest as { givenName?: string; familyName?: string; displayName?: string; unstructuredName?: string };
          return { ...rest, displayName: n.displayName ?? n.unstructuredName ?? [n.givenName, n.familyName].filter(Boolean).join(' ') };
        }
        return rest;
      });
    }
    return out;
  };
  const touch = (p: Stored) => {
    p.version++;
    p.seq = ++seq;
    p.updateTime = new Date(now()).toISOString();
  };

  /** Requests in the last minute per budget; true when this one fits. */
  const charge = (budget: 'reads' | 'writes'): boolean => {
    const limit = budget === 'reads' ? opts.readsPerMinute : opts.writesPerMinute;
    const t = performance.now();
    const list = spent[budget];
    while (list.length && list[0]! <= t - 60_000) list.shift();
    if (limit !== undefined && list.length >= limit) return false;
    list.push(t);
    return true;
  };

  const readBody = async (req: IncomingMessage): Promise<Json> => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    return raw ? (JSON.parse(raw) as Json) : {};
  };

  const personFieldsOk = (q: URLSearchParams): string | undefined => {
    const pf = q.get('personFields') ?? q.get('person_fields');
    if (!pf) return 'personFields mask is required. Please specify one or more valid paths. Valid paths are documented at https://developers.google.com/people/api/rest/v1/people.connections/list.';
    const bad = pf.split(',').find((f) => !KNOWN_FIELDS.has(f.trim()));
    return bad ? `Invalid personFields mask path: "${bad}".` : undefined;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = decodeURIComponent(url.pathname);
    const m = /^\/v1\/people(?:\/([^/:]+))?(?:\/(connections))?(?::(createContact|updateContact|deleteContact))?$/.exec(path);
    if (!m) return googleError(res, 404, 'NOT_FOUND', `no such path ${path}`);
    const [, id, connections, verb] = m;
    const method =
      connections && id === 'me' && req.method === 'GET'
        ? 'connections.list'
        : verb === 'createContact' && !id && req.method === 'POST'
          ? 'createContact'
          : verb === 'updateContact' && id && req.method === 'PATCH'
            ? 'updateContact'
            : verb === 'deleteContact' && id && req.method === 'DELETE'
              ? 'deleteContact'
              : id && !verb && !connections && req.method === 'GET'
                ? 'get'
                : undefined;
    if (!method) return googleError(res, 404, 'NOT_FOUND', `no such method ${req.method} ${path}`);
    const fault = faults.take(req.method ?? 'GET', path);
    if (fault?.reset) return void req.socket.destroy();
    if (fault) return json(res, fault.status ?? 500, fault.body ?? { error: { code: fault.status ?? 500, message: 'Internal error encountered.', status: 'INTERNAL' } }, fault.headers);
    const auth = req.headers.authorization ?? '';
    const scopes = tokens.get(auth.replace(/^Bearer /, ''));
    if (!auth.startsWith('Bearer ') || !scopes) return googleError(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', {}, { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' });
    const write = method === 'createContact' || method === 'updateContact' || method === 'deleteContact';
    if (!scopes.includes(CONTACTS_SCOPE) && !(scopes.includes(CONTACTS_READONLY_SCOPE) && !write)) {
      return googleError(res, 403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.', { details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT', domain: 'googleapis.com' }] });
    }
    stats.requests[method] = (stats.requests[method] ?? 0) + 1;
    if (!charge(write ? 'writes' : 'reads')) {
      stats.rateLimited++;
      return googleError(res, 429, 'RESOURCE_EXHAUSTED', "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user'.", { details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'RATE_LIMIT_EXCEEDED', domain: 'googleapis.com' }] }, { 'retry-after': '1' });
    }
    const q = url.searchParams;
    if (method === 'connections.list') return list(res, q);
    if (method === 'createContact') {
      const body = await readBody(req);
      const p: Stored = { resourceName: `people/c${nextId++}`, version: 0, seq: 0, updateTime: '', deleted: false, fields: writable(body) };
      touch(p);
      persons.set(p.resourceName, p);
      return json(res, 200, view(p));
    }
    const p = persons.get(`people/${id}`);
    if (!p || p.deleted) return googleError(res, 404, 'NOT_FOUND', 'Requested entity was not found.');
    if (method === 'get') {
      const bad = personFieldsOk(q);
      return bad ? googleError(res, 400, 'INVALID_ARGUMENT', bad) : json(res, 200, view(p));
    }
    if (method === 'deleteContact') {
      touch(p);
      p.deleted = true;
      return json(res, 200, {});
    }
    const body = await readBody(req);
    const mask = q.get('updatePersonFields');
    if (!mask) return googleError(res, 400, 'INVALID_ARGUMENT', 'updatePersonFields mask is required. Please specify one or more valid paths.');
    const etag = (body.etag as string | undefined) ?? ((body.metadata as { sources?: { etag?: string }[] } | undefined)?.sources?.[0]?.etag);
    if (!etag) return googleError(res, 400, 'INVALID_ARGUMENT', 'Request must set person.etag or person.metadata.sources.etag for the source that is being updated.');
    if (etag !== etagOf(p)) {
      stats.staleEtags++;
      return googleError(res, 400, 'FAILED_PRECONDITION', 'Request person.etag is different than the current person.etag. Clear local cache and get the latest person.');
    }
    const only = new Set(mask.split(',').map((f) => f.trim()));
    const next = writable(body, only);
    for (const f of only) if (FIELDS.includes(f as never)) p.fields[f as (typeof FIELDS)[number]] = next[f as (typeof FIELDS)[number]] ?? [];
    touch(p);
    return json(res, 200, view(p));
  };

  /** A page token carries where the listing is and the change sequence it started at (its sync token's). */
  const list = (res: ServerResponse, q: URLSearchParams) => {
    const bad = personFieldsOk(q);
    if (bad) return googleError(res, 400, 'INVALID_ARGUMENT', bad);
    const size = Math.min(1000, Math.max(1, Number(q.get('pageSize') ?? 100)));
    const syncToken = q.get('syncToken');
    let since: number | undefined;
    if (syncToken) {
      const t = /^sync-(\d+)$/.exec(Buffer.from(syncToken, 'base64url').toString());
      if (!t) return googleError(res, 400, 'INVALID_ARGUMENT', 'Invalid sync token.');
      since = Number(t[1]);
      if (since < oldestSyncSeq) {
        return googleError(res, 400, 'FAILED_PRECONDITION', 'Sync token is expired. Clear local cache and retry call without the sync token.', {
          details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'EXPIRED_SYNC_TOKEN', domain: 'people.googleapis.com' }],
        });
      }
    }
    const pt = q.get('pageToken');
    const page = pt ? /^(\d+):(\d+)$/.exec(Buffer.from(pt, 'base64url').toString()) : ['', '0', String(seq)];
    if (!page) return googleError(res, 400, 'INVALID_ARGUMENT', 'Invalid page token.');
    const offset = Number(page[1]);
    const at = Number(page[2]);
    const all = [...persons.values()]
      .filter((p) => (since === undefined ? !p.deleted && p.seq <= at : p.seq > since && p.seq <= at))
      .sort((a, b) => (since === undefined ? a.resourceName.localeCompare(b.resourceName) : a.seq - b.seq));
    const slice = all.slice(offset, offset + size);
    const more = offset + size < all.length;
    const body: Json = { connections: slice.map(view) };
    if (more) body.nextPageToken = Buffer.from(`${offset + size}:${at}`).toString('base64url');
    else if (q.get('requestSyncToken') === 'true' || since !== undefined) body.nextSyncToken = Buffer.from(`sync-${at}`).toString('base64url');
    if (since === undefined) Object.assign(body, { totalPeople: all.length, totalItems: all.length });
    return json(res, 200, body);
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: Error) => googleError(res, 500, 'INTERNAL', err.message));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/`,
    token: 'people-test-token',
    stats,
    /** Contacts as a person adds them in Google Contacts; their resource names, in order. */
    add(...ps: PersonInput[]): string[] {
      return ps.map((x) => {
        const p: Stored = { resourceName: `people/c${nextId++}`, version: 0, seq: 0, updateTime: '', deleted: false, fields: writable(x as Json) };
        touch(p);
        persons.set(p.resourceName, p);
        return p.resourceName;
      });
    },
    /** An edit made in Google Contacts: the listed fields replaced, a new etag. */
    edit(resourceName: string, patch: PersonInput): void {
      const p = persons.get(resourceName);
      if (!p || p.deleted) throw new Error(`no contact ${resourceName}`);
      Object.assign(p.fields, writable(patch as Json));
      touch(p);
    },
    remove(resourceName: string): void {
      const p = persons.get(resourceName);
      if (!p || p.deleted) throw new Error(`no contact ${resourceName}`);
      touch(p);
      p.deleted = true;
    },
    /** A contact as the API shows it (undefined once deleted). */
    person(resourceName: string): Json | undefined {
      const p = persons.get(resourceName);
      return p && !p.deleted ? view(p) : undefined;
    },
    /** Every live contact as the API shows it. */
    contacts(): Json[] {
      return [...persons.values()].filter((p) => !p.deleted).map(view);
    },
    /** Sync tokens handed out until now answer 400 EXPIRED_SYNC_TOKEN (as after 7 days). */
    expireSyncTokens(): void {
      oldestSyncSeq = seq + 1;
    },
    setToken(token: string, scopes: string[]): void {
      tokens.set(token, scopes);
    },
    revoke(token: string): void {
      tokens.delete(token);
    },
    fault(f: EmulatorFault): void {
      faults.add(f);
    },
    async close(): Promise<void> {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
