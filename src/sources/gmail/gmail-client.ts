import { gmail_v1 } from '@googleapis/gmail';
import type { OAuth2Client } from 'google-auth-library';
import type { Limiter } from '../../systems/limits/request-limiter.js';
import { GMAIL_COSTS, type GmailMethod } from '../../systems/google/google-quota.js';
import { callGoogle, type GoogleCallOptions } from '../../systems/google/google-request.js';
import { METADATA_HEADERS, type GmailApiMessage } from './gmail-message.mapper.js';

export interface GmailClientOptions {
  /** The API root (`rootUrl`): Google's, a proxy's, or a loopback emulator's. */
  baseUrl: string;
  auth: OAuth2Client;
  limiter: Limiter;
  user: string;
  signal?: AbortSignal;
  onRateLimited?: () => void;
  timeoutMs?: number;
}

/**
 * The Gmail calls the source makes, each under the shared per-user quota with its cost in units
 * and Google's error table. The SDK's own retrying is off: rate limits and 5xx are handled by
 * callGoogle, so a wait is never also an attempt.
 */
export class GmailClient {
  private readonly api: gmail_v1.Gmail;
  private readonly call: GoogleCallOptions;

  constructor(private readonly o: GmailClientOptions) {
    const rootUrl = o.baseUrl.endsWith('/') ? o.baseUrl : `${o.baseUrl}/`;
    // The SDK is typed against its own google-auth-library; the client is the same protocol.
    this.api = new gmail_v1.Gmail({ rootUrl, auth: o.auth as never, retry: false, timeout: o.timeoutMs ?? 30_000 });
    this.call = { api: 'gmail', limiter: o.limiter, maxRetries: 5, backoffMs: 250, ...(o.signal ? { signal: o.signal } : {}), ...(o.onRateLimited ? { onRateLimited: o.onRateLimited } : {}) };
  }

  private run<T>(method: GmailMethod, what: string, fn: () => Promise<{ data: T }>): Promise<T> {
    return callGoogle(this.call, what, GMAIL_COSTS[method], async () => (await fn()).data);
  }

  profile(): Promise<gmail_v1.Schema$Profile> {
    return this.run('getProfile', 'users.getProfile', () => this.api.users.getProfile({ userId: this.o.user }));
  }

  listMessages(pageToken: string | undefined, pageSize: number): Promise<gmail_v1.Schema$ListMessagesResponse> {
    return this.run('messages.list', 'users.messages.list', () =>
      this.api.users.messages.list({ userId: this.o.user, maxResults: pageSize, includeSpamTrash: true, ...(pageToken ? { pageToken } : {}) }),
    );
  }

  getMessage(id: string): Promise<GmailApiMessage> {
    return this.run('messages.get', `users.messages.get ${id}`, () =>
      this.api.users.messages.get({ userId: this.o.user, id, format: 'metadata', metadataHeaders: [...METADATA_HEADERS] }),
    );
  }

  listHistory(startHistoryId: string, pageToken: string | undefined, pageSize: number): Promise<gmail_v1.Schema$ListHistoryResponse> {
    return this.run('history.list', 'users.history.list', () =>
      this.api.users.history.list({
        userId: this.o.user,
        startHistoryId,
        maxResults: pageSize,
        historyTypes: ['messageAdded', 'messageDeleted', 'labelAdded', 'labelRemoved'],
        ...(pageToken ? { pageToken } : {}),
      }),
    );
  }
}
