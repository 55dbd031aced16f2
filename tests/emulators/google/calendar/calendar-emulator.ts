import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type EmulatorFault, FaultList } from '../../emulator-faults.js';

/**
 * Loopback Google Calendar API for tests, driven through the real SDK with `rootUrl`:
 * `GET /calendar/v3/calendars/{calendarId}/events` in its `singleEvents=true` view (a recurring
 * event is held as its instances, ids `<series>_<original start>`), with paging (`maxResults` ≤
 * 2500, `nextPageToken`, `nextSyncToken` on the last page only), sync tokens (the events changed
 * since, cancelled ones included; 410 `fullSyncRequired` with Google's body once expired or
 * unknown; 400 for a sync token beside timeMin/timeMax/updatedMin/q/orderBy/iCalUID or
 * showDeleted=false), `showDeleted`, Bearer tokens with scopes (401 unknown or revoked, 403
 * insufficientPermissions), a per-user limit in requests a minute (403 rateLimitExceeded when
 * over, as Calendar answers), and injected faults (429 with Retry-After, 5xx bursts, resets).
 * A test edits the calendars as events are created, changed and cancelled.
 */
export interface CalendarEmulatorOptions {
  /** Per-user requests a minute; unset: not enforced. */
  requestsPerMinute?: number;
  /** The calendar `primary` names (the account's address). */
  primary?: string;
}

export const CALENDAR_READONLY = 'https://www.googleapis.com/auth/calendar.readonly';
const CALENDAR_FULL = 'https://www.googleapis.com/auth/calendar';

export type EventTime = { dateTime: string; timeZone?: string } | { date: string };

export interface EventInput {
  id?: string;
  iCalUID?: string;
  summary?: string;
  description?: string;
  start: EventTime;
  end?: EventTime;
  organizer?: { email: string; displayName?: string; self?: boolean };
  attendees?: { email: string; displayName?: string; responseStatus?: string; organizer?: boolean; self?: boolean; optional?: boolean; resource?: boolean }[];
}

/** One stored event as events.list returns it, with the change number that orders it. */
interface Stored {
  seq: number;
  event: Record<string, unknown>;
}

export type CalendarEmulator = Awaited<ReturnType<typeof startCalendarEmulator>>;

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const unb64 = <T>(s: string): T | undefined => {
  try {
    return JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as T;
  } catch {
    return undefined;
  }
};

/** An instance's id suffix as Google writes it: the original start in UTC, or the date. */
export function instanceStamp(t: EventTime): string {
  if ('date' in t) return t.date.replaceAll('-', '');
  return new Date(t.dateTime).toISOString().replace(/\.\d{3}Z$/, 'Z').replaceAll(/[-:]/g, '');
}

export async function startCalendarEmulator(opts: CalendarEmulatorOptions = {}) {
  const primary = opts.primary ?? 'me@example.com';
  const tokens = new Map<string, { scopes: string[]; user: string }>([['calendar-test-token', { scopes: [CALENDAR_READONLY], user: primary }]]);
  const calendars = new Map<string, Stored[]>([[primary, []]]);
  let seq = 0;
  /** Sync tokens carry the generation they were given in; expiring them starts a new one. */
  let generation = 1;
  let nextId = 1;
  const faults = new FaultList();
  const stats = { requests: 0, rateLimited: 0, calls: [] as { calendarId: string; syncToken: boolean; pageToken: boolean; items: number }[] };
  const spent = new Map<string, number[]>();

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
    res.end(JSON.stringify(body));
  };
  const googleError = (res: ServerResponse, code: number, domain: string, reason: string, message: string, headers: Record<string, string> = {}) =>
    json(res, code, { error: { errors: [{ domain, reason, message }], code, message } }, headers);

  /** Requests in the last minute for this user; true when this one fits. */
  const charge = (user: string): boolean => {
    const now = performance.now();
    const list = (spent.get(user) ?? []).filter((t) => t > now - 60_000);
    spent.set(user, list);
    if (opts.requestsPerMinute !== undefined && list.length >= opts.requestsPerMinute) return false;
    list.push(now);
    return true;
  };

  const calendarOf = (raw: string) => {
    const id = decodeURIComponent(raw);
    return id === 'primary' ? primary : id;
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const m = /^\/calendar\/v3\/calendars\/([^/]+)\/events$/.exec(url.pathname);
    if (!m || req.method !== 'GET') return googleError(res, 404, 'global', 'notFound', `no such path ${req.method} ${url.pathname}`);
    const fault = faults.take(req.method ?? 'GET', url.pathname);
    if (fault?.reset) return void req.socket.destroy();
    if (fault) return json(res, fault.status ?? 500, fault.body ?? { error: { errors: [{ domain: 'global', reason: 'backendError', message: 'Backend Error' }], code: fault.status ?? 500, message: 'Backend Error' } }, fault.headers);
    const auth = req.headers.authorization ?? '';
    const who = tokens.get(auth.replace(/^Bearer /, ''));
    if (!auth.startsWith('Bearer ') || !who) return googleError(res, 401, 'global', 'authError', 'Request had invalid authentication credentials.', { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' });
    if (!who.scopes.includes(CALENDAR_READONLY) && !who.scopes.includes(CALENDAR_FULL)) return googleError(res, 403, 'global', 'insufficientPermissions', 'Request had insufficient authentication scopes.');
    stats.requests++;
    if (!charge(who.user)) {
      stats.rateLimited++;
      return googleError(res, 403, 'usageLimits', 'rateLimitExceeded', 'Rate Limit Exceeded');
    }
    const calendarId = calendarOf(m[1]!);
    const stored = calendars.get(calendarId);
    if (!stored) return googleError(res, 404, 'global', 'notFound', 'Not Found');
    const q = url.searchParams;
    if (q.get('singleEvents') !== 'true') return googleError(res, 400, 'global', 'invalid', 'This emulator serves the singleEvents=true view only');
    const syncToken = q.get('syncToken');
    const pageToken = q.get('pageToken');
    if (syncToken && ['timeMin', 'timeMax', 'updatedMin', 'q', 'orderBy', 'iCalUID'].some((p) => q.has(p))) return googleError(res, 400, 'global', 'invalid', 'Invalid sync token parameters');
    if (syncToken && q.get('showDeleted') === 'false') return googleError(res, 400, 'global', 'invalid', 'showDeleted cannot be false with a sync token');
    let from: number | undefined;
    if (syncToken) {
      const t = unb64<{ g: number; s: number; c: string }>(syncToken);
      if (!t || t.g !== generation || t.c !== calendarId) return googleError(res, 410, 'global', 'fullSyncRequired', 'Sync token is no longer valid, a full sync is required.');
      from = t.s;
    }
    // A page token holds the snapshot (the change number when the list began) and the last one
    // it gave: an event changed meanwhile leaves this list and is in the changes after it.
    let page: { snap: number; after: number; from?: number } = { snap: seq, after: -1, ...(from !== undefined ? { from } : {}) };
    if (pageToken) {
      const p = unb64<typeof page>(pageToken);
      if (!p || typeof p.snap !== 'number') return googleError(res, 400, 'global', 'invalid', 'Invalid page token');
      page = p;
    }
    const showDeleted = q.get('showDeleted') === 'true' || page.from !== undefined;
    const size = Math.min(2500, Math.max(1, Number(q.get('maxResults') ?? 250)));
    const matching = stored
      .filter((s) => s.seq <= page.snap && s.seq > page.after && (page.from === undefined || s.seq > page.from) && (showDeleted || s.event.status !== 'cancelled'))
      .sort((a, b) => a.seq - b.seq);
    const items = matching.slice(0, size);
    const more = matching.length > size;
    stats.calls.push({ calendarId, syncToken: Boolean(syncToken), pageToken: Boolean(pageToken), items: items.length });
    return json(res, 200, {
      kind: 'calendar#events',
      etag: `"${seq}"`,
      summary: calendarId,
      updated: new Date().toISOString(),
      timeZone: 'UTC',
      accessRole: 'owner',
      defaultReminders: [],
      items: items.map((s) => s.event),
      ...(more ? { nextPageToken: b64({ ...page, after: items[items.length - 1]!.seq }) } : { nextSyncToken: b64({ g: generation, s: page.snap, c: calendarId }) }),
    });
  };

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      googleError(res, 500, 'global', 'backendError', (err as Error).message);
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  const listOf = (calendarId: string) => {
    const id = calendarId === 'primary' ? primary : calendarId;
    let list = calendars.get(id);
    if (!list) calendars.set(id, (list = []));
    return list;
  };
  const find = (calendarId: string, id: string) => {
    const s = listOf(calendarId).find((x) => x.event.id === id);
    if (!s) throw new Error(`no event ${id} in ${calendarId}`);
    return s;
  };
  const store = (calendarId: string, event: Record<string, unknown>) => {
    const now = new Date().toISOString();
    const s: Stored = { seq: ++seq, event: { kind: 'calendar#event', etag: `"${seq}"`, status: 'confirmed', created: now, updated: now, ...event } };
    listOf(calendarId).push(s);
    return s.event;
  };
  const body = (e: EventInput) => {
    const { id: _id, ...rest } = e;
    return { ...rest, end: e.end ?? e.start };
  };

  return {
    url: `http://127.0.0.1:${port}/`,
    token: 'calendar-test-token',
    stats,
    /** Create a calendar (empty) the account can read. */
    addCalendar(calendarId: string): void {
      listOf(calendarId);
    },
    /** Add single events; each gets an id and (unless given) an iCalUID `<id>@google.com`. */
    add(calendarId: string, ...events: EventInput[]): Record<string, unknown>[] {
      return events.map((e) => {
        const id = e.id ?? `ev${(nextId++).toString(32).padStart(6, '0')}`;
        return store(calendarId, { id, iCalUID: e.iCalUID ?? `${id}@google.com`, ...body(e) });
      });
    },
    /** Add a recurring event as singleEvents lists it: one instance per original start. */
    addSeries(calendarId: string, series: Omit<EventInput, 'start' | 'end'> & { id: string }, starts: EventTime[]): Record<string, unknown>[] {
      return starts.map((start) =>
        store(calendarId, { ...body({ ...series, start }), id: `${series.id}_${instanceStamp(start)}`, iCalUID: series.iCalUID ?? `${series.id}@google.com`, recurringEventId: series.id, originalStartTime: start }),
      );
    },
    /** Change an event (it moves to the end of the change order, as a sync token sees it). */
    update(calendarId: string, id: string, patch: Partial<EventInput>): void {
      const s = find(calendarId, id);
      s.event = { ...s.event, ...patch, updated: new Date().toISOString(), etag: `"${seq + 1}"` };
      s.seq = ++seq;
    },
    /**
     * Cancel an event. Google keeps only its id (and, for an instance, recurringEventId and
     * originalStartTime) unless `details` (the organizer's own calendar keeps them).
     */
    cancel(calendarId: string, id: string, o: { details?: boolean } = {}): void {
      const s = find(calendarId, id);
      const e = s.event;
      s.event = o.details
        ? { ...e, status: 'cancelled' }
        : { kind: 'calendar#event', etag: `"${seq + 1}"`, id: e.id, status: 'cancelled', ...(e.recurringEventId ? { recurringEventId: e.recurringEventId, originalStartTime: e.originalStartTime } : {}) };
      s.seq = ++seq;
    },
    /** Every sync token given so far answers 410 fullSyncRequired from now on. */
    expireSyncTokens(): void {
      generation++;
    },
    setToken(token: string, scopes: string[], user = primary): void {
      tokens.set(token, { scopes, user });
    },
    revoke(token: string): void {
      tokens.delete(token);
    },
    fault(f: EmulatorFault): void {
      faults.add(f);
    },
    /** Enforce a per-user limit (requests a minute) from now on. */
    setLimit(requestsPerMinute: number): void {
      opts.requestsPerMinute = requestsPerMinute;
    },
    events(calendarId = 'primary'): Record<string, unknown>[] {
      return listOf(calendarId).map((s) => s.event);
    },
    async close(): Promise<void> {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
