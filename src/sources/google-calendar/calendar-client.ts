import { calendar_v3 } from '@googleapis/calendar';
import type { OAuth2Client } from 'google-auth-library';
import { CursorInvalidError, FatalError, NotFoundError } from '../../errors.js';
import { googleReason } from '../../systems/google/google-errors.js';
import { answerOf, callGoogle, type GoogleCallOptions } from '../../systems/google/google-request.js';
import type { Limiter } from '../../systems/limits/request-limiter.js';
import type { CalendarPosition } from './calendar-cursor.js';

export interface CalendarClientOptions {
  /** The API root (`rootUrl`): Google's, a proxy's, or a loopback emulator's. */
  baseUrl: string;
  auth: OAuth2Client;
  limiter: Limiter;
  signal?: AbortSignal;
  onRateLimited?: () => void;
  timeoutMs?: number;
}

/**
 * The Calendar call the source makes, `events.list`, under the shared per-user limit and
 * Google's error table (rate limits waited out without spending an attempt, 5xx retried, a
 * refused token or a missing scope fatal). The SDK's own retrying is off. A 410
 * `fullSyncRequired` (the sync token expired) is CursorInvalidError; an unknown calendar is
 * NotFoundError naming it.
 */
export class CalendarClient {
  private readonly api: calendar_v3.Calendar;
  private readonly call: GoogleCallOptions;

  constructor(o: CalendarClientOptions) {
    const rootUrl = o.baseUrl.endsWith('/') ? o.baseUrl : `${o.baseUrl}/`;
    // The SDK is typed against its own google-auth-library; the client is the same protocol.
    this.api = new calendar_v3.Calendar({ rootUrl, auth: o.auth as never, retry: false, timeout: o.timeoutMs ?? 30_000 });
    this.call = { api: 'calendar', limiter: o.limiter, maxRetries: 5, backoffMs: 250, ...(o.signal ? { signal: o.signal } : {}), ...(o.onRateLimited ? { onRateLimited: o.onRateLimited } : {}) };
  }

  /** One page of a calendar's events: the full list, or the changes since `at.syncToken` (cancelled events included). */
  async listEvents(calendarId: string, at: CalendarPosition, pageSize: number): Promise<calendar_v3.Schema$Events> {
    const what = `events.list ${calendarId}`;
    try {
      return await callGoogle(this.call, what, 1, async () => {
        const r = await this.api.events.list({
          calendarId,
          singleEvents: true,
          // Cancelled events remove what they gave; with a sync token Google requires it.
          showDeleted: true,
          maxResults: pageSize,
          ...(at.syncToken ? { syncToken: at.syncToken } : {}),
          ...(at.pageToken ? { pageToken: at.pageToken } : {}),
        });
        return r.data;
      });
    } catch (err) {
      if (err instanceof FatalError) {
        const a = answerOf(err.cause);
        if (a.status === 410) {
          throw new CursorInvalidError(`Google Calendar no longer accepts the sync token of ${calendarId} (410 ${googleReason(a.body) || 'fullSyncRequired'})`, 'google_calendar_sync_expired', { cause: err });
        }
      }
      if (err instanceof NotFoundError) throw new NotFoundError(`Google Calendar has no calendar ${calendarId} this account can read (404): check \`calendars\` in kith.config.yaml`, 'google_calendar_not_found', { cause: err });
      throw err;
    }
  }
}
