import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type EmulatorFault, FaultList } from '../emulator-faults.js';

/**
 * Loopback Slack Web API for tests, driven through the real @slack/web-api with `slackApiUrl`.
 * Speaks the wire format: every method is `POST /api/<method>` with a form-encoded (or JSON)
 * body, answers `{ok:true, …}` or `{ok:false, error}` with HTTP 200, pages with
 * `response_metadata.next_cursor` (empty on the last page), and sends the token's scopes in
 * `x-oauth-scopes`. Methods: auth.test, users.list, conversations.list (types),
 * conversations.members, conversations.history (oldest, latest, inclusive, limit, has_more) and
 * conversations.replies. Tokens are checked (`invalid_auth`, `token_revoked`, `missing_scope`
 * with `needed`); each method's tier is enforced per window (429 with Retry-After and
 * `{ok:false, error:"ratelimited"}`), including the non-Marketplace rule for history and replies
 * (1 request a window, at most 15 messages). Tests inject faults, revoke tokens, remove
 * conversations and expire page cursors.
 */
export interface SlackEmulatorOptions {
  /** `internal` (Tier 3 history/replies) or `non-marketplace` (1 a window, ≤ 15 messages); default internal. */
  tier?: 'internal' | 'non-marketplace';
  /** The window tiers are counted over (Slack: a minute). */
  windowMs?: number;
  /** Whether tiers are enforced at all (default true). */
  enforceTiers?: boolean;
  /** The workspace member the token belongs to (auth.test user_id). */
  selfUser?: string;
  /** Most items a page holds whatever `limit` asks (Slack may answer fewer than asked). */
  pageCap?: number;
}

export interface EmulatedUser {
  id: string;
  name?: string;
  real_name?: string;
  deleted?: boolean;
  is_bot?: boolean;
  profile?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface EmulatedMessage {
  ts: string;
  type?: string;
  subtype?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  thread_ts?: string;
  [k: string]: unknown;
}

export interface EmulatedConversation {
  id: string;
  name?: string;
  kind: 'public_channel' | 'private_channel' | 'mpim' | 'im';
  members: string[];
  messages: EmulatedMessage[];
  is_archived?: boolean;
}

const TIER_2 = 20;
const TIER_3 = 50;
const TIER_4 = 100;

/** The scope each method needs, per conversation type where it differs. */
const HISTORY_SCOPES: Record<EmulatedConversation['kind'], string> = { public_channel: 'channels:history', private_channel: 'groups:history', mpim: 'mpim:history', im: 'im:history' };
const READ_SCOPES: Record<EmulatedConversation['kind'], string> = { public_channel: 'channels:read', private_channel: 'groups:read', mpim: 'mpim:read', im: 'im:read' };
export const ALL_SCOPES = ['users:read', 'users:read.email', ...Object.values(READ_SCOPES), ...Object.values(HISTORY_SCOPES)];

export type SlackEmulator = Awaited<ReturnType<typeof startSlackEmulator>>;

const tsNum = (ts: string) => Number(ts);

export async function startSlackEmulator(opts: SlackEmulatorOptions = {}) {
  const tokens = new Map<string, string[]>([['xoxp-slack-test-token', [...ALL_SCOPES]]]);
  const revoked = new Set<string>();
  const users: EmulatedUser[] = [];
  const conversations: EmulatedConversation[] = [];
  const faults = new FaultList();
  /** Told of every authorised request before it is answered (a test stops a run at a chosen call). */
  const hooks: { onRequest?: (method: string, body: Record<string, string>) => void } = {};
  let cursorGeneration = 1;
  let tier = opts.tier ?? 'internal';
  const windowMs = opts.windowMs ?? 60_000;
  const calls = new Map<string, number[]>();
  const stats = { requests: {} as Record<string, number>, rateLimited: 0, historyMessages: [] as number[], maxInWindow: {} as Record<string, number> };

  const perWindow = (method: string): number => {
    if (method === 'users.list' || method === 'conversations.list') return TIER_2;
    if (method === 'conversations.history' || method === 'conversations.replies') return tier === 'non-marketplace' ? 1 : TIER_3;
    return TIER_4;
  };

  /** Requests of `method` in the last window; undefined when this one fits, else seconds until it would. */
  const overTier = (method: string): number | undefined => {
    const now = performance.now();
    const list = calls.get(method) ?? [];
    while (list.length && list[0]! <= now - windowMs) list.shift();
    if (opts.enforceTiers !== false && list.length >= perWindow(method)) return Math.max(1, Math.ceil((list[0]! + windowMs - now) / 1000));
    list.push(now);
    calls.set(method, list);
    stats.maxInWindow[method] = Math.max(stats.maxInWindow[method] ?? 0, list.length);
    return undefined;
  };

  const send = (res: ServerResponse, body: unknown, scopes: string[] = [], status = 200, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-oauth-scopes': scopes.join(','), ...headers });
    res.end(JSON.stringify(body));
  };

  const encodeCursor = (kind: string, offset: number) => Buffer.from(`${kind}:${cursorGeneration}:${offset}`).toString('base64');
  /** Offset of a cursor this method issued; 'invalid' for a cursor of another generation or method. */
  const decodeCursor = (kind: string, c: string | undefined): number | 'invalid' => {
    if (!c) return 0;
    const m = /^([a-z.]+):(\d+):(\d+)$/.exec(Buffer.from(c, 'base64').toString('utf8'));
    if (!m || m[1] !== kind || Number(m[2]) !== cursorGeneration) return 'invalid';
    return Number(m[3]);
  };

  const readBody = async (req: IncomingMessage): Promise<Record<string, string>> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    if ((req.headers['content-type'] ?? '').includes('application/json')) {
      const j = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      return Object.fromEntries(Object.entries(j).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
    }
    return Object.fromEntries(new URLSearchParams(raw));
  };

  const conversationJson = (c: EmulatedConversation, self: string) => ({
    id: c.id,
    ...(c.kind === 'im' ? { is_im: true, user: c.members.find((m) => m !== self) ?? self, is_user_deleted: false } : { name: c.name ?? c.id, name_normalized: c.name ?? c.id }),
    is_channel: c.kind === 'public_channel',
    is_group: c.kind === 'private_channel',
    is_mpim: c.kind === 'mpim',
    is_private: c.kind !== 'public_channel',
    is_archived: c.is_archived ?? false,
    is_member: c.members.includes(self),
    created: 1767225600,
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const m = /^\/api\/([a-zA-Z.]+)$/.exec(url.pathname);
    if (req.method !== 'POST' && req.method !== 'GET') return send(res, { ok: false, error: 'invalid_request' }, [], 405);
    if (!m) return send(res, { ok: false, error: 'unknown_method' }, [], 404);
    const method = m[1]!;
    const body = { ...Object.fromEntries(url.searchParams), ...(await readBody(req)) };
    const fault = faults.take(req.method, url.pathname);
    if (fault?.reset) return void req.socket.destroy();
    if (fault) return send(res, fault.body ?? { ok: false, error: 'fatal_error' }, [], fault.status ?? 500, fault.headers);
    const token = (req.headers.authorization ?? '').replace(/^Bearer\s+/, '') || body.token || '';
    if (!token) return send(res, { ok: false, error: 'not_authed' });
    if (revoked.has(token)) return send(res, { ok: false, error: 'token_revoked' });
    const scopes = tokens.get(token);
    if (!scopes) return send(res, { ok: false, error: 'invalid_auth' });
    stats.requests[method] = (stats.requests[method] ?? 0) + 1;
    hooks.onRequest?.(method, body);
    const wait = overTier(method);
    if (wait !== undefined) {
      stats.rateLimited++;
      return send(res, { ok: false, error: 'ratelimited' }, scopes, 429, { 'retry-after': String(wait) });
    }
    const self = opts.selfUser ?? users[0]?.id ?? 'U0SELF';
    const ok = (x: Record<string, unknown>) => send(res, { ok: true, ...x }, scopes);
    const fail = (error: string, extra: Record<string, unknown> = {}) => send(res, { ok: false, error, ...extra }, scopes);
    /** True (and answered) when the token lacks `scope`. */
    const need = (scope: string): boolean => {
      if (scopes.includes(scope)) return false;
      fail('missing_scope', { needed: scope, provided: scopes.join(',') });
      return true;
    };
    const limitOf = (dflt: number, max: number) => Math.min(max, Math.max(1, Number(body.limit ?? 0) || dflt));
    const page = <T>(kind: string, list: T[], size: number) => {
      const at = decodeCursor(kind, body.cursor);
      if (at === 'invalid') return undefined;
      const n = Math.min(size, opts.pageCap ?? size);
      const items = list.slice(at, at + n);
      return { items, next: at + n < list.length ? encodeCursor(kind, at + n) : '' };
    };

    switch (method) {
      case 'auth.test':
        return ok({ url: 'https://example.slack.com/', team: 'Example', user: users.find((u) => u.id === self)?.name ?? 'me', team_id: 'T0EXAMPLE', user_id: self });
      case 'users.list': {
        if (need('users:read')) return;
        const p = page('users', users, limitOf(200, 1000));
        if (!p) return fail('invalid_cursor');
        const members = scopes.includes('users:read.email') ? p.items : p.items.map((u) => ({ ...u, profile: { ...u.profile, email: undefined } }));
        return ok({ members, cache_ts: Math.floor(Date.now() / 1000), response_metadata: { next_cursor: p.next } });
      }
      case 'conversations.list': {
        const types = (body.types ?? 'public_channel').split(',').map((t) => t.trim());
        for (const t of types) if (!(t in READ_SCOPES)) return fail('invalid_types');
        const missing = types.map((t) => READ_SCOPES[t as EmulatedConversation['kind']]).find((s) => !scopes.includes(s));
        if (missing) return fail('missing_scope', { needed: missing, provided: scopes.join(',') });
        const visible = conversations.filter((c) => types.includes(c.kind) && (c.kind === 'public_channel' || c.members.includes(self)) && !(body.exclude_archived === 'true' && c.is_archived));
        const p = page('channels', visible, limitOf(100, 1000));
        if (!p) return fail('invalid_cursor');
        return ok({ channels: p.items.map((c) => conversationJson(c, self)), response_metadata: { next_cursor: p.next } });
      }
      case 'conversations.members': {
        const c = conversations.find((x) => x.id === body.channel);
        if (!c || (c.kind !== 'public_channel' && !c.members.includes(self))) return fail('channel_not_found');
        if (need(READ_SCOPES[c.kind])) return;
        const p = page('members', c.members, limitOf(100, 1000));
        if (!p) return fail('invalid_cursor');
        return ok({ members: p.items, response_metadata: { next_cursor: p.next } });
      }
      case 'conversations.history':
      case 'conversations.replies': {
        const c = conversations.find((x) => x.id === body.channel);
        if (!c || (c.kind !== 'public_channel' && !c.members.includes(self))) return fail('channel_not_found');
        if (need(HISTORY_SCOPES[c.kind])) return;
        const max = tier === 'non-marketplace' ? 15 : 999;
        const size = limitOf(tier === 'non-marketplace' ? 15 : 100, max);
        const inclusive = body.inclusive === 'true' || body.inclusive === '1';
        const oldest = body.oldest ? tsNum(body.oldest) : -Infinity;
        const latest = body.latest ? tsNum(body.latest) : Infinity;
        const inRange = (msg: EmulatedMessage) => {
          const t = tsNum(msg.ts);
          return inclusive ? t >= oldest && t <= latest : t > oldest && t < latest;
        };
        let list: EmulatedMessage[];
        if (method === 'conversations.history') {
          // Top-level messages and broadcast replies, newest first; parents carry their thread's counts.
          list = c.messages
            .filter((msg) => !msg.thread_ts || msg.thread_ts === msg.ts || msg.subtype === 'thread_broadcast')
            .filter(inRange)
            .sort((a, b) => tsNum(b.ts) - tsNum(a.ts))
            .map((msg) => withThread(c, msg));
        } else {
          const parent = c.messages.find((msg) => msg.ts === body.ts);
          if (!parent) return fail('thread_not_found');
          const replies = c.messages.filter((msg) => msg.thread_ts === parent.ts && msg.ts !== parent.ts).filter(inRange).sort((a, b) => tsNum(a.ts) - tsNum(b.ts));
          list = [withThread(c, parent), ...replies];
        }
        const p = page(method, list, size);
        if (!p) return fail('invalid_cursor');
        if (method === 'conversations.history') stats.historyMessages.push(p.items.length);
        return ok({ messages: p.items, has_more: p.next !== '', ...(method === 'conversations.history' ? { pin_count: 0 } : {}), response_metadata: { next_cursor: p.next } });
      }
      default:
        return fail('unknown_method');
    }
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: Error) => send(res, { ok: false, error: 'internal_error', detail: err.message }, [], 500));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/api/`,
    token: 'xoxp-slack-test-token',
    stats,
    hooks,
    users,
    conversations,
    addUser(...us: EmulatedUser[]): void {
      users.push(...us);
    },
    addConversation(c: Omit<EmulatedConversation, 'messages'> & { messages?: EmulatedMessage[] }): EmulatedConversation {
      const conv: EmulatedConversation = { ...c, messages: c.messages ?? [] };
      conversations.push(conv);
      return conv;
    },
    /** Post messages to a conversation (a reply names its parent's ts in `thread_ts`). */
    post(channel: string, ...ms: EmulatedMessage[]): void {
      const c = conversations.find((x) => x.id === channel);
      if (!c) throw new Error(`no conversation ${channel}`);
      c.messages.push(...ms.map((x) => ({ type: 'message', ...x })));
    },
    /** The conversation is deleted (or the token's user left it): channel_not_found from now on. */
    removeConversation(id: string): void {
      const i = conversations.findIndex((x) => x.id === id);
      if (i >= 0) conversations.splice(i, 1);
    },
    /** Every page cursor handed out so far is refused with invalid_cursor from now on. */
    expireCursors(): void {
      cursorGeneration++;
    },
    setTier(t: 'internal' | 'non-marketplace'): void {
      tier = t;
    },
    setToken(t: string, scopes: string[]): void {
      tokens.set(t, scopes);
      revoked.delete(t);
    },
    revoke(t: string): void {
      revoked.add(t);
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

/** A parent message as history and replies show it: reply_count, reply_users, latest_reply. */
function withThread(c: EmulatedConversation, msg: EmulatedMessage): EmulatedMessage {
  const replies = c.messages.filter((x) => x.thread_ts === msg.ts && x.ts !== msg.ts);
  if (!replies.length) return msg;
  const latest = replies.reduce((a, b) => (tsNum(b.ts) > tsNum(a.ts) ? b : a));
  return { ...msg, thread_ts: msg.ts, reply_count: replies.length, reply_users: [...new Set(replies.map((r) => r.user).filter(Boolean))], latest_reply: latest.ts };
}
