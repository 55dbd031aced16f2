import { loadCoreConfig } from '../../config/core.config.js';
import { ConfigError } from '../../config/config-error.js';
import { loadRedisConfig } from '../../config/redis.config.js';
import { CursorInvalidError, NotFoundError } from '../../errors.js';
import { createRedis } from '../../redis/connection.js';
import { googleCredential } from '../../systems/google/google-auth.js';
import { gmailLimiterKey } from '../../systems/google/google-quota.js';
import { SharedRequestLimiter } from '../../systems/limits/shared-request-limiter.js';
import type { ParseInput, SourceEvent, SourceParser } from '../source-event.js';
import { GmailClient } from './gmail-client.js';
import { formatGmailCursor, parseGmailCursor } from './gmail-cursor.js';
import { type GmailApiMessage, mapApiMessage } from './gmail-message.mapper.js';
import { gmailConfig, type GmailConfig } from './index.js';

/** Longest Retry-After a read sleeps out inside its step (a longer one delays the job). */
const PAUSE_WAIT_MS = 60_000;

/**
 * Reads a mailbox through the Gmail API as the same event stream a parser yields. First run:
 * the profile's historyId, then every message listed page by page and read with
 * `format=metadata`; a cursor after each page. Later runs: `users.history.list` from the stored
 * historyId — added and relabelled messages are read, deleted ones yield ItemRemoved. A 404 on
 * the stored historyId (Gmail keeps history about a week) is CursorInvalidError: collection
 * reads the mailbox again from the start.
 */
export const parser: SourceParser = {
  type: 'gmail',
  parse: readGmail,
};

async function* readGmail(input: ParseInput): AsyncIterable<SourceEvent> {
  const config = { ...gmailConfig.parse(input.config ?? {}), id: String(input.config?.id ?? 'gmail') } as GmailConfig;
  const start = input.cursor ? parseGmailCursor(input.cursor) : undefined;
  const credential = googleCredential(loadCoreConfig().dataDir);
  const { url, prefix } = loadRedisConfig();
  if (!url) throw new ConfigError('REDIS_URL', 'is not set: the Gmail quota is kept in Redis, shared by every process reading the mailbox');
  const redis = createRedis(url, { name: `kith:gmail-quota:${config.id}` });
  try {
    const limiter = new SharedRequestLimiter({
      limit: config.quota_units_per_s,
      windowMs: 1000,
      service: 'Gmail quota units',
      redis: () => redis,
      // The quota is per mailbox: an address names it; `me` is whichever account this source reads.
      key: gmailLimiterKey(prefix, config.user === 'me' ? `source:${config.id}` : config.user),
      requestTimeoutMs: 30_000,
      pauseWaitMs: PAUSE_WAIT_MS,
      pollMs: 10,
    });
    const client = new GmailClient({ baseUrl: config.base_url, auth: credential.client, limiter, user: config.user });
    if (!start || start.mode === 'full') yield* fullRead(client, config, input, start?.historyId, start?.mode === 'full' ? start.pageToken : undefined);
    else yield* historyRead(client, config, input, start.historyId);
  } finally {
    await redis.quit().catch(() => undefined);
  }
}

async function* fullRead(client: GmailClient, config: GmailConfig, input: ParseInput, resumeHistoryId: string | undefined, resumePage: string | undefined): AsyncIterable<SourceEvent> {
  const profile = await client.profile();
  // Taken before listing: whatever arrives while the mailbox is listed is in the history after it.
  const historyId = resumeHistoryId ?? String(profile.historyId ?? '');
  if (!/^\d+$/.test(historyId)) throw new NotFoundError(`Gmail users.getProfile answered without a historyId for ${config.user}`, 'gmail_no_history_id');
  let total = profile.messagesTotal ?? undefined;
  let pageToken = resumePage;
  let done = 0;
  do {
    const page = await client.listMessages(pageToken, config.page_size);
    total ??= page.resultSizeEstimate ?? undefined;
    const ids = (page.messages ?? []).flatMap((m) => (m.id ? [m.id] : []));
    for (const m of await readAll(client, ids, config.concurrency)) if (m) yield* eventsOf(m, false);
    done += ids.length;
    pageToken = page.nextPageToken ?? undefined;
    yield { kind: 'cursor', file: config.id, cursor: formatGmailCursor(pageToken ? { v: 1, mode: 'full', historyId, pageToken } : { v: 1, mode: 'history', historyId }) };
    input.progress?.({ stage: 'full', done, ...(total !== undefined ? { total } : {}) });
  } while (pageToken);
}

async function* historyRead(client: GmailClient, config: GmailConfig, input: ParseInput, startHistoryId: string): AsyncIterable<SourceEvent> {
  let pageToken: string | undefined;
  let done = 0;
  do {
    let page;
    try {
      page = await client.listHistory(startHistoryId, pageToken, config.page_size);
    } catch (err) {
      if (err instanceof NotFoundError) throw new CursorInvalidError(`Gmail no longer keeps the history from id ${startHistoryId} (404)`, 'gmail_history_expired', { cause: err });
      throw err;
    }
    const read = new Set<string>();
    const deleted = new Set<string>();
    let last: string | undefined;
    for (const h of page.history ?? []) {
      for (const a of h.messagesAdded ?? []) if (a.message?.id) read.add(a.message.id);
      for (const l of [...(h.labelsAdded ?? []), ...(h.labelsRemoved ?? [])]) if (l.message?.id) read.add(l.message.id);
      for (const d of h.messagesDeleted ?? []) if (d.message?.id) deleted.add(d.message.id);
      if (h.id) last = h.id;
    }
    const ids = [...read].filter((id) => !deleted.has(id));
    const messages = await readAll(client, ids, config.concurrency);
    for (let i = 0; i < ids.length; i++) {
      const m = messages[i];
      if (m) yield* eventsOf(m, true);
      else deleted.add(ids[i]!); // gone between the history and the read
    }
    for (const itemId of deleted) yield { kind: 'removed', itemId };
    done += ids.length + deleted.size;
    pageToken = page.nextPageToken ?? undefined;
    // Mid-history, resume after the last record this page covered; at its end, from the mailbox's id.
    const at = pageToken ? last : (page.historyId ?? last);
    if (at) yield { kind: 'cursor', file: config.id, cursor: formatGmailCursor({ v: 1, mode: 'history', historyId: at }) };
    input.progress?.({ stage: 'history', done });
  } while (pageToken);
}

/**
 * One message's events: its key and interaction, a skipped record when the headers the rules
 * need are missing, or — read again from the history — its removal once it became a draft or spam.
 */
function* eventsOf(m: GmailApiMessage, fromHistory: boolean): Iterable<SourceEvent> {
  const mapped = mapApiMessage(m);
  const id = m.id ?? '';
  if (mapped.kind === 'event') {
    yield { kind: 'item-key', itemId: id, externalId: mapped.event.externalId };
    yield mapped.event;
  } else if (mapped.kind === 'skip') {
    yield { kind: 'skipped', file: `gmail message ${id}`, reason: mapped.reason };
  } else if (fromHistory) {
    yield { kind: 'removed', itemId: id };
  }
}

/** Read messages `concurrency` at a time, in order; one deleted meanwhile (404) is null. */
async function readAll(client: GmailClient, ids: readonly string[], concurrency: number): Promise<(GmailApiMessage | null)[]> {
  const out: (GmailApiMessage | null)[] = new Array(ids.length).fill(null);
  let next = 0;
  const lane = async () => {
    while (next < ids.length) {
      const i = next++;
      try {
        out[i] = await client.getMessage(ids[i]!);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, lane));
  return out;
}
