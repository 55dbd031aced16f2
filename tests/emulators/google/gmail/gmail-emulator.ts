import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type EmulatorFault, FaultList } from '../../emulator-faults.js';

/**
 * Loopback Gmail API (users.*) for tests and the benchmark, driven through the real SDK with
 * `rootUrl`: profile, messages list (paging, resultSizeEstimate) and get (`format=metadata` with
 * `metadataHeaders`), history list from `startHistoryId` (404 when older than what it keeps),
 * Bearer tokens with scopes (401 unknown or revoked, 403 insufficientPermissions), per-user quota
 * units a second (429 rateLimitExceeded when over, as Gmail answers), and injected faults (429 with
 * Retry-After, 5xx bursts). A test edits the mailbox as mail arrives and is deleted.
 */
export interface GmailEmulatorOptions {
  /** Per-user quota units a second (Gmail: 250); unset: not enforced. */
  quotaUnitsPerS?: number;
  /** The user `me` is (profile emailAddress). */
  emailAddress?: string;
}

export interface EmulatedMessage {
  id: string;
  threadId: string;
  labelIds: string[];
  snippet: string;
  headers: { name: string; value: string }[];
  historyId: string;
  internalDate: string;
}

interface HistoryRecord {
  id: number;
  messagesAdded?: { message: { id: string; threadId: string; labelIds: string[] } }[];
  messagesDeleted?: { message: { id: string; threadId: string } }[];
  labelsAdded?: { message: { id: string; threadId: string }; labelIds: string[] }[];
  labelsRemoved?: { message: { id: string; threadId: string }; labelIds: string[] }[];
}

export const GMAIL_READONLY = 'https://www.googleapis.com/auth/gmail.readonly';
const COST: Record<string, number> = { profile: 1, 'messages.list': 5, 'messages.get': 5, 'history.list': 2 };

export type GmailEmulator = Awaited<ReturnType<typeof startGmailEmulator>>;

export async function startGmailEmulator(opts: GmailEmulatorOptions = {}) {
  const tokens = new Map<string, string[]>([['gmail-test-token', [GMAIL_READONLY]]]);
  const messages: EmulatedMessage[] = []; // newest first, as Gmail lists
  const history: HistoryRecord[] = [];
  let historyId = 1000;
  let oldestHistoryId = 0;
  let nextId = 0x18c0000000000000n;
  const faults = new FaultList();
  const stats = { requests: {} as Record<string, number>, units: 0, rateLimited: 0, firstAt: 0, lastAt: 0 };
  const spent: { at: number; units: number }[] = [];

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
    res.end(JSON.stringify(body));
  };
  const googleError = (res: ServerResponse, code: number, status: string, reason: string, message: string, headers: Record<string, string> = {}) =>
    json(res, code, { error: { code, message, status, errors: [{ message, domain: code === 429 || code === 403 ? 'usageLimits' : 'global', reason }] } }, headers);

  /** Units spent in the last second, per Gmail's per-user quota; true when this request fits. */
  const chargeQuota = (units: number): boolean => {
    const now = performance.now();
    while (spent.length && spent[0]!.at <= now - 1000) spent.shift();
    const used = spent.reduce((n, s) => n + s.units, 0);
    if (opts.quotaUnitsPerS !== undefined && used + units > opts.quotaUnitsPerS) return false;
    spent.push({ at: now, units });
    return true;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const m = /^\/gmail\/v1\/users\/([^/]+)\/(profile|messages|history)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m) return googleError(res, 404, 'NOT_FOUND', 'notFound', `no such path ${url.pathname}`);
    const fault = faults.take(req.method ?? 'GET', url.pathname);
    if (fault?.reset) return void req.socket.destroy();
    if (fault) return json(res, fault.status ?? 500, fault.body ?? { error: { code: fault.status ?? 500, message: 'Backend Error', errors: [{ reason: 'backendError' }] } }, fault.headers);
    const auth = req.headers.authorization ?? '';
    const scopes = tokens.get(auth.replace(/^Bearer /, ''));
    if (!auth.startsWith('Bearer ') || !scopes) return googleError(res, 401, 'UNAUTHENTICATED', 'authError', 'Request had invalid authentication credentials.', { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' });
    if (!scopes.includes(GMAIL_READONLY)) return googleError(res, 403, 'PERMISSION_DENIED', 'insufficientPermissions', 'Request had insufficient authentication scopes.');
    const method = m[2] === 'profile' ? 'profile' : m[2] === 'history' ? 'history.list' : m[3] ? 'messages.get' : 'messages.list';
    stats.requests[method] = (stats.requests[method] ?? 0) + 1;
    if (!chargeQuota(COST[method]!)) {
      stats.rateLimited++;
      return googleError(res, 429, 'RESOURCE_EXHAUSTED', 'rateLimitExceeded', 'User-rate limit exceeded.', { 'retry-after': '1' });
    }
    stats.units += COST[method]!;
    stats.firstAt ||= performance.now();
    stats.lastAt = performance.now();
    const q = url.searchParams;
    const pageSize = (dflt: number, max: number) => Math.min(max, Math.max(1, Number(q.get('maxResults') ?? dflt)));
    if (method === 'profile') return json(res, 200, { emailAddress: opts.emailAddress ?? 'me@example.com', messagesTotal: messages.length, threadsTotal: new Set(messages.map((x) => x.threadId)).size, historyId: String(historyId) });
    if (method === 'messages.list') {
      const offset = Number(q.get('pageToken') ?? 0);
      const size = pageSize(100, 500);
      const page = messages.slice(offset, offset + size);
      const next = offset + size < messages.length ? String(offset + size) : undefined;
      return json(res, 200, { messages: page.map((x) => ({ id: x.id, threadId: x.threadId })), ...(next ? { nextPageToken: next } : {}), resultSizeEstimate: messages.length });
    }
    if (method === 'messages.get') {
      const msg = messages.find((x) => x.id === m[3]);
      if (!msg) return googleError(res, 404, 'NOT_FOUND', 'notFound', 'Requested entity was not found.');
      const wanted = q.getAll('metadataHeaders').map((h) => h.toLowerCase());
      const format = q.get('format') ?? 'full';
      const headers = format === 'metadata' && wanted.length ? msg.headers.filter((h) => wanted.includes(h.name.toLowerCase())) : msg.headers;
      return json(res, 200, { id: msg.id, threadId: msg.threadId, labelIds: msg.labelIds, snippet: msg.snippet, historyId: msg.historyId, internalDate: msg.internalDate, sizeEstimate: 1000, payload: { mimeType: 'text/plain', headers } });
    }
    const start = Number(q.get('startHistoryId'));
    if (!q.get('startHistoryId') || !Number.isFinite(start)) return googleError(res, 400, 'INVALID_ARGUMENT', 'invalidArgument', 'Invalid startHistoryId');
    if (start < oldestHistoryId) return googleError(res, 404, 'NOT_FOUND', 'notFound', 'Requested entity was not found.');
    const types = q.getAll('historyTypes');
    const after = history.filter((h) => h.id > start).map((h) => filterTypes(h, types)).filter((h): h is HistoryRecord => h !== undefined);
    const offset = Number(q.get('pageToken') ?? 0);
    const size = pageSize(100, 500);
    const page = after.slice(offset, offset + size);
    const next = offset + size < after.length ? String(offset + size) : undefined;
    return json(res, 200, { history: page.map((h) => ({ ...h, id: String(h.id), messages: [] })), ...(next ? { nextPageToken: next } : {}), historyId: String(historyId) });
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: Error) => googleError(res, 500, 'INTERNAL', 'backendError', err.message));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/`,
    token: 'gmail-test-token',
    stats,
    /** Add messages (newest first in listings); each gets an id, a thread and a history record. */
    add(...ms: { headers: Record<string, string>; labelIds?: string[]; snippet?: string; threadId?: string }[]): EmulatedMessage[] {
      return ms.map((x) => {
        const id = (nextId++).toString(16);
        historyId++;
        const msg: EmulatedMessage = {
          id,
          threadId: x.threadId ?? id,
          labelIds: x.labelIds ?? ['INBOX'],
          snippet: x.snippet ?? '',
          headers: Object.entries(x.headers).map(([name, value]) => ({ name, value })),
          historyId: String(historyId),
          internalDate: String(Date.now()),
        };
        messages.unshift(msg);
        history.push({ id: historyId, messagesAdded: [{ message: { id, threadId: msg.threadId, labelIds: msg.labelIds } }] });
        return msg;
      });
    },
    remove(id: string): void {
      const i = messages.findIndex((x) => x.id === id);
      if (i < 0) throw new Error(`no message ${id}`);
      const [msg] = messages.splice(i, 1);
      history.push({ id: ++historyId, messagesDeleted: [{ message: { id, threadId: msg!.threadId } }] });
    },
    relabel(id: string, add: string[], removeLabels: string[] = []): void {
      const msg = messages.find((x) => x.id === id);
      if (!msg) throw new Error(`no message ${id}`);
      msg.labelIds = [...msg.labelIds.filter((l) => !removeLabels.includes(l)), ...add];
      const rec: HistoryRecord = { id: ++historyId };
      if (add.length) rec.labelsAdded = [{ message: { id, threadId: msg.threadId }, labelIds: add }];
      if (removeLabels.length) rec.labelsRemoved = [{ message: { id, threadId: msg.threadId }, labelIds: removeLabels }];
      history.push(rec);
    },
    /** Forget history up to now: a startHistoryId before this answers 404. */
    /** Enforce Gmail's per-user quota (units a second) from now on. */
    setQuota(unitsPerS: number): void {
      opts.quotaUnitsPerS = unitsPerS;
    },
    expireHistory(): void {
      oldestHistoryId = historyId;
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
    messages,
    async close(): Promise<void> {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function filterTypes(h: HistoryRecord, types: string[]): HistoryRecord | undefined {
  if (!types.length) return h;
  const out: HistoryRecord = { id: h.id };
  if (types.includes('messageAdded') && h.messagesAdded) out.messagesAdded = h.messagesAdded;
  if (types.includes('messageDeleted') && h.messagesDeleted) out.messagesDeleted = h.messagesDeleted;
  if (types.includes('labelAdded') && h.labelsAdded) out.labelsAdded = h.labelsAdded;
  if (types.includes('labelRemoved') && h.labelsRemoved) out.labelsRemoved = h.labelsRemoved;
  return Object.keys(out).length > 1 ? out : undefined;
}
