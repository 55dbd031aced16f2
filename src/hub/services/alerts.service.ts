import { request } from 'undici';
import type { Logger } from '../../log/logger.js';
import type { Alert, AlertKind, Alerts, SentAlert } from '../ports/alerts.js';
import { type AlertStateStore, MemoryAlertState } from '../stores/alert-state.store.js';

export type { Alert, AlertKind, SentAlert };

/** Transient errors are suppressed until they repeat this many times (a retry usually fixes them). */
export const TRANSIENT_REPEATS = 5;

/** A condition that lasts is alerted again this often (KITH_ALERT_REMIND_EVERY). */
export const DEFAULT_REMIND_EVERY_MS = 15 * 60_000;

const iso = (ms: number) => new Date(ms).toISOString();

/** "15 min", "90 s", "2 h": a reminder interval as a person reads it. */
function span(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}

/**
 * The alert as one line for a person: the `text` of the webhook's body, which is what a Slack
 * incoming webhook (and Discord's Slack-compatible one, its URL ending in /slack) shows.
 */
export function alertText(a: Alert | SentAlert): string {
  const state = 'state' in a ? a.state : 'raised';
  const head = state === 'recovered' ? 'Kith recovered' : 'Kith alert';
  return `${head} ${a.kind} (${a.subject}): ${a.message}`.replace(/\s*[\r\n]+\s*/g, ' ');
}

export interface AlerterOptions {
  /** Where the de-duplication state is kept: Redis for a deployment (RedisAlertState), else this process. */
  state?: AlertStateStore;
  remindEveryMs?: number;
  clock?: () => number;
  /** Also send each alert's line to this Telegram chat (TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID). */
  telegram?: { apiUrl: string; token: string; chatId: string };
}

/**
 * Alerts go to the log and, when KITH_ALERT_WEBHOOK_URL is set, are POSTed there as JSON: the
 * alert's fields, its `state` (raised, reminder, recovered), `repeats`, and `text`, one line
 * that a chat's incoming webhook shows as the message.
 *
 * De-duplicated per kind + subject (a system's push or sweep, a contact) across the whole
 * deployment when the state is in Redis: the first occurrence is sent (a transient failure —
 * a retry will likely fix it — only from its fifth repeat); repeats within the reminder
 * interval are counted and not sent; the first repeat after it is sent as a reminder carrying
 * how many occurrences it stands for; when the condition clears (the next success), one
 * "recovered" alert is sent. Delivery problems are logged, never thrown: an alert must not
 * fail the job that raised it.
 */
export class Alerter implements Alerts {
  /** Alerts sent by this process, the latest 100 (tests, /health). */
  readonly raised: SentAlert[] = [];
  private readonly state: AlertStateStore;
  private readonly remindEveryMs: number;
  private readonly clock: () => number;
  private readonly telegram?: AlerterOptions['telegram'];

  constructor(
    private readonly log: Logger,
    private readonly webhookUrl?: string,
    opts: AlerterOptions = {},
  ) {
    this.state = opts.state ?? new MemoryAlertState();
    this.remindEveryMs = opts.remindEveryMs ?? DEFAULT_REMIND_EVERY_MS;
    this.clock = opts.clock ?? Date.now;
    this.telegram = opts.telegram;
  }

  async raise(a: Alert, opts: { transient?: boolean } = {}): Promise<boolean> {
    const now = this.clock();
    const o = await this.state.occur(`${a.kind}:${a.subject}`, now, { threshold: opts.transient ? TRANSIENT_REPEATS : 1, remindEveryMs: this.remindEveryMs });
    if (!o.send) {
      this.log.debug({ alert: a.kind, subject: a.subject }, `alert ${a.kind} (${a.subject}) repeated: counted, not sent`);
      return false;
    }
    const sent: SentAlert = o.reminder
      ? {
          ...a,
          message: `${a.message} (still so: ${o.repeats} time(s) since the alert at ${iso(o.lastSentAt ?? o.since)}; reminded every ${span(this.remindEveryMs)})`,
          details: { ...a.details, repeats: o.repeats },
          state: 'reminder',
          repeats: o.repeats,
          since: o.since,
        }
      : { ...a, details: { ...a.details, repeats: o.repeats }, state: 'raised', repeats: o.repeats, since: o.since };
    await this.send(sent);
    return true;
  }

  async clear(kind: AlertKind, subject: string): Promise<void> {
    const c = await this.state.clear(`${kind}:${subject}`);
    if (!c) return;
    const what = kind === 'sync_failure' ? 'failure(s)' : 'occurrence(s)';
    await this.send({ kind, subject, message: `${subject} is back to normal after ${c.total} ${what} since ${iso(c.since)}`, details: { repeats: c.total }, state: 'recovered', repeats: c.total, since: c.since });
  }

  private async send(a: SentAlert): Promise<void> {
    this.raised.push(a);
    if (this.raised.length > 100) this.raised.shift();
    const line = `${a.state === 'recovered' ? 'RECOVERED' : 'ALERT'} ${a.kind}: ${a.message}`;
    this.log.warn({ alert: a.kind, subject: a.subject, state: a.state, ...a.details }, line);
    if (this.telegram) await this.sendTelegram(a);
    if (!this.webhookUrl) return;
    try {
      const res = await request(this.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ source: 'kith', at: new Date(this.clock()).toISOString(), ...a, since: iso(a.since), text: alertText(a) }),
        headersTimeout: 5_000,
        bodyTimeout: 5_000,
      });
      await res.body.dump();
      if (res.statusCode >= 300) this.log.warn({ status: res.statusCode }, 'alert webhook answered with an error');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'alert webhook could not be reached');
    }
  }

  /** Bot API sendMessage: the alert's line as the message text. */
  private async sendTelegram(a: SentAlert): Promise<void> {
    const t = this.telegram!;
    try {
      const res = await request(`${t.apiUrl}/bot${t.token}/sendMessage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ chat_id: t.chatId, text: alertText(a), disable_web_page_preview: true }),
        headersTimeout: 5_000,
        bodyTimeout: 5_000,
      });
      await res.body.dump();
      if (res.statusCode >= 300) this.log.warn({ status: res.statusCode }, 'Telegram answered the alert with an error');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'Telegram could not be reached for an alert');
    }
  }
}
