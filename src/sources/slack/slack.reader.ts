import { loadCoreConfig } from '../../config/core.config.js';
import { ConfigError } from '../../config/config-error.js';
import { loadRedisConfig } from '../../config/redis.config.js';
import { NotFoundError } from '../../errors.js';
import { createRedis, type RedisClient } from '../../redis/connection.js';
import { SharedRequestLimiter } from '../../systems/limits/shared-request-limiter.js';
import { slackCredential } from '../../systems/slack/slack-account.js';
import { SlackClient, SlackInvalidCursorError } from '../../systems/slack/slack-client.js';
import { methodLimit, type SlackMethod, slackLimiterKey } from '../../systems/slack/slack-tiers.js';
import { isPerson, mapMessage, tsToMs, userToContact, type Conversation, type SlackMessage, type SlackUser } from '../slack-export/slack.mapper.js';
import type { ParseInput, SourceEvent, SourceParser } from '../source-event.js';
import { type ApiConversation, keepConversation, toConversation } from './slack-conversation.mapper.js';
import { formatSlackCursor, laterTs, parseSlackCursor, type SlackCursor } from './slack-cursor.js';
import { slackConfig, type SlackConfig } from './index.js';

/** Longest Retry-After a read sleeps out inside its step (a longer one delays the job). */
const PAUSE_WAIT_MS = 60_000;

type Page<K extends string, T> = { [k in K]?: T[] } & { has_more?: boolean; response_metadata?: { next_cursor?: string } };
type ApiMessage = SlackMessage & { reply_count?: number };

/**
 * Reads a Slack workspace through the Web API as the same event stream the export parser
 * yields, through the export's own mapper: `users.list` gives the members (contacts, as
 * users.json does), `conversations.list` the conversations the token can see, and each one's
 * `conversations.history` from its stored `oldest`, with `conversations.replies` for every thread
 * met. A message gets the export's key (`<channel>:<ts>`, `<channel>:<thread_ts>/<ts>` for a
 * reply), so a message reached both ways counts once. A cursor follows every page. A
 * conversation that went away is skipped with a warning; a page cursor Slack no longer accepts
 * makes that conversation be read again from its start, with a warning.
 */
export const parser: SourceParser = {
  type: 'slack',
  parse: readSlack,
};

async function* readSlack(input: ParseInput): AsyncIterable<SourceEvent> {
  const config = { ...slackConfig.parse(input.config ?? {}), id: String(input.config?.id ?? 'slack') } as SlackConfig;
  const state: SlackCursor = input.cursor ? parseSlackCursor(input.cursor) : { v: 1, conversations: {} };
  const { token } = slackCredential(loadCoreConfig().dataDir);
  const { url, prefix } = loadRedisConfig();
  if (!url) throw new ConfigError('REDIS_URL', "is not set: Slack's per-method limits are kept in Redis, shared by every process reading the workspace");
  const redis = createRedis(url, { name: `kith:slack-limits:${config.id}` });
  try {
    let team = `source:${config.id}`;
    const client = new SlackClient({ baseUrl: config.base_url, token, limiter: limiters(redis, prefix, config, () => team) });
    const me = await client.call<{ team_id?: string; user_id?: string }>('auth.test', {});
    if (me.team_id) team = me.team_id;
    yield* new WorkspaceRead(client, config, input, state, me.user_id).run();
  } finally {
    await redis.quit().catch(() => undefined);
  }
}

/** One shared limiter per method and workspace, each with its tier's budget. */
function limiters(redis: RedisClient, prefix: string, config: SlackConfig, team: () => string): (method: SlackMethod) => SharedRequestLimiter {
  const made = new Map<string, SharedRequestLimiter>();
  return (method) => {
    const key = slackLimiterKey(prefix, team(), method);
    let l = made.get(key);
    if (!l) {
      const limit = methodLimit(method, config.tier);
      l = new SharedRequestLimiter({ limit: limit.perWindow, windowMs: config.rate_window_ms, service: `Slack ${method}`, redis: () => redis, key, requestTimeoutMs: 30_000, pauseWaitMs: PAUSE_WAIT_MS });
      made.set(key, l);
    }
    return l;
  };
}

class WorkspaceRead {
  private readonly users = new Map<string, SlackUser>();
  private readonly historyPage: number;
  /** Conversations finished, of `total`, and messages read: the progress a long first read shows. */
  private readonly progress = { done: 0, total: 0, messages: 0 };

  constructor(
    private readonly client: SlackClient,
    private readonly config: SlackConfig,
    private readonly input: ParseInput,
    private readonly state: SlackCursor,
    private readonly selfUser: string | undefined,
  ) {
    this.historyPage = Math.min(config.page_size, methodLimit('conversations.history', config.tier).maxPage);
  }

  async *run(): AsyncIterable<SourceEvent> {
    for await (const page of this.pages<'members', SlackUser>('users.list', {}, 'members')) {
      for (const u of page) {
        if (!u || typeof u.id !== 'string') continue;
        this.users.set(u.id, u);
        if (isPerson(u)) yield userToContact(u);
      }
    }
    const listed: (ApiConversation & { id: string })[] = [];
    for await (const page of this.pages<'channels', ApiConversation>('conversations.list', { types: this.config.types.join(','), exclude_archived: false }, 'channels')) {
      for (const c of page) if (c?.id && !listed.some((l) => l.id === c.id) && keepConversation(c as ApiConversation & { id: string }, this.config.channels, this.config.exclude_channels)) listed.push(c as ApiConversation & { id: string });
    }
    // A stopped pass is finished first, then the rest in a stable order.
    const resume = this.state.paging?.id;
    listed.sort((a, b) => (a.id === resume ? -1 : b.id === resume ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (resume && !listed.some((c) => c.id === resume)) delete this.state.paging;
    this.progress.total = listed.length;
    for (const c of listed) {
      yield* this.conversation(c);
      this.progress.done++;
      this.report();
    }
  }

  private report(): void {
    this.input.progress?.({ stage: `conversations (${this.progress.messages} messages)`, done: this.progress.done, total: this.progress.total });
  }

  /**
   * Every page of a cursor-paged list method (`users.list`, `conversations.list`,
   * `conversations.members`). A page cursor refused midway (`invalid_cursor`) lists again from the
   * first page, once: what it yields is keyed by id, so a page seen twice changes nothing.
   */
  private async *pages<K extends string, T>(method: SlackMethod, args: Record<string, unknown>, field: K, what: string = method): AsyncIterable<T[]> {
    let cursor: string | undefined;
    let restarted = false;
    for (;;) {
      let page: Page<K, T>;
      try {
        page = await this.client.call<Page<K, T>>(method, { ...args, limit: methodLimit(method, this.config.tier).maxPage, ...(cursor ? { cursor } : {}) }, what);
      } catch (err) {
        if (!(err instanceof SlackInvalidCursorError) || !cursor || restarted) throw err;
        restarted = true;
        cursor = undefined;
        continue;
      }
      yield (page[field] ?? []) as T[];
      cursor = page.response_metadata?.next_cursor || undefined;
      if (!cursor) return;
    }
  }

  private async members(c: ApiConversation & { id: string }): Promise<string[]> {
    if (c.is_im) return [...new Set([this.selfUser, c.user].filter((u): u is string => !!u))];
    const out: string[] = [];
    for await (const page of this.pages<'members', string>('conversations.members', { channel: c.id }, 'members', `conversations.members ${c.id}`)) out.push(...page);
    return [...new Set(out)];
  }

  private async *conversation(c: ApiConversation & { id: string }): AsyncIterable<SourceEvent> {
    const label = c.name ? `#${c.name} (${c.id})` : c.id;
    try {
      const conv = toConversation(c, await this.members(c));
      const paging = this.state.paging?.id === c.id ? this.state.paging : undefined;
      try {
        if (!paging) yield* this.followThreads(conv);
        yield* this.history(conv, paging?.from ?? this.state.conversations[c.id]?.oldest, paging?.cursor, paging?.top);
      } catch (err) {
        if (!(err instanceof SlackInvalidCursorError)) throw err;
        const message = `conversation ${label}: Slack no longer accepts the stored page cursor (invalid_cursor); reading that conversation again from its start`;
        yield { kind: 'warning', message };
        delete this.state.paging;
        delete this.state.conversations[c.id];
        yield* this.history(conv, undefined, undefined, undefined);
      }
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      // Gone (deleted, or the token left it): skipped, and its stored point forgotten.
      yield { kind: 'warning', message: `conversation ${label} skipped: ${err.message}` };
      if (this.state.paging?.id === c.id) delete this.state.paging;
      delete this.state.conversations[c.id];
      yield this.mark();
    }
  }

  /**
   * One pass over a conversation's history after `from`, newest page first. Each page's
   * messages and their threads are yielded, then a cursor: mid-pass, the next page and the
   * newest ts seen; at the end, that ts as the conversation's `oldest`.
   */
  private async *history(conv: Conversation, from: string | undefined, startCursor: string | undefined, startTop: string | undefined): AsyncIterable<SourceEvent> {
    let cursor = startCursor;
    let top = startTop;
    const file = `slack conversation ${conv.id}`;
    do {
      const page = await this.client.call<Page<'messages', ApiMessage>>(
        'conversations.history',
        { channel: conv.id, limit: this.historyPage, ...(from ? { oldest: from } : {}), ...(cursor ? { cursor } : {}) },
        `conversations.history ${conv.id}`,
      );
      const messages = page.messages ?? [];
      this.progress.messages += messages.length;
      for (const [i, m] of messages.entries()) {
        if (!m || typeof m !== 'object') continue;
        top = laterTs(top, m.ts);
        const event = mapMessage(m, i, conv, this.users, file);
        if (event) yield event;
        if (m.ts && (m.reply_count ?? 0) > 0 && (!m.thread_ts || m.thread_ts === m.ts)) {
          const last = yield* this.replies(conv, m.ts, undefined, file);
          this.track(conv.id, m.ts, last);
        }
      }
      cursor = (page.has_more !== false && page.response_metadata?.next_cursor) || undefined;
      if (cursor) this.state.paging = { id: conv.id, cursor, ...(from ? { from } : {}), ...(top ? { top } : {}) };
      else {
        delete this.state.paging;
        const oldest = laterTs(from, top);
        const threads = this.state.conversations[conv.id]?.threads;
        this.state.conversations[conv.id] = { ...(oldest ? { oldest } : {}), ...(threads ? { threads } : {}) };
      }
      yield this.mark();
      if (cursor) this.report();
    } while (cursor);
  }

  /** A thread's replies after `oldest` (the parent, which comes first, is the history's); returns the newest reply's ts. */
  private async *replies(conv: Conversation, ts: string, oldest: string | undefined, file: string): AsyncGenerator<SourceEvent, string | undefined> {
    let cursor: string | undefined;
    let i = 0;
    let last = oldest;
    do {
      const page = await this.client.call<Page<'messages', ApiMessage>>(
        'conversations.replies',
        { channel: conv.id, ts, limit: this.historyPage, ...(oldest ? { oldest } : {}), ...(cursor ? { cursor } : {}) },
        `conversations.replies ${conv.id} ${ts}`,
      );
      for (const m of page.messages ?? []) {
        if (!m || typeof m !== 'object' || m.ts === ts) continue;
        last = laterTs(last, m.ts);
        const event = mapMessage({ ...m, thread_ts: m.thread_ts ?? ts }, i++, conv, this.users, `${file} thread ${ts}`);
        if (event) yield event;
      }
      cursor = (page.has_more !== false && page.response_metadata?.next_cursor) || undefined;
    } while (cursor);
    return last;
  }

  /** Whether a thread whose parent was posted at `ts` is still followed (`thread_days`). */
  private young(ts: string): boolean {
    const at = tsToMs(ts);
    return this.config.thread_days > 0 && at !== undefined && at >= Date.now() - this.config.thread_days * 86_400_000;
  }

  /** Remember a young thread and the newest reply read in it. */
  private track(id: string, parent: string, lastReply: string | undefined): void {
    if (!lastReply || !this.young(parent)) return;
    const mark = (this.state.conversations[id] ??= {});
    mark.threads = { ...mark.threads, [parent]: laterTs(mark.threads?.[parent], lastReply)! };
  }

  /**
   * Replies posted since the last run to the conversation's young threads: the history after the
   * stored point does not show a reply to an older message (unless broadcast). Threads grown
   * old are dropped; a thread gone (`thread_not_found`) is dropped too.
   */
  private async *followThreads(conv: Conversation): AsyncIterable<SourceEvent> {
    const mark = this.state.conversations[conv.id];
    if (!mark?.threads) return;
    for (const [parent, seen] of Object.entries(mark.threads)) {
      if (!this.young(parent)) {
        delete mark.threads[parent];
        continue;
      }
      try {
        const last = yield* this.replies(conv, parent, seen, `slack conversation ${conv.id}`);
        if (last) mark.threads[parent] = last;
      } catch (err) {
        if (!(err instanceof NotFoundError) || err.code !== 'thread_not_found') throw err;
        delete mark.threads[parent];
      }
      yield this.mark();
    }
    if (!Object.keys(mark.threads).length) delete mark.threads;
  }

  private mark(): SourceEvent {
    return { kind: 'cursor', file: this.config.id, cursor: formatSlackCursor(this.state) };
  }
}
