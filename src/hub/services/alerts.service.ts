import { request } from 'undici';
import type { Logger } from '../../log/logger.js';
import type { Alert, AlertKind, Alerts } from '../ports/alerts.js';

export type { Alert, AlertKind };

/** Transient errors are suppressed until they repeat this many times (a retry usually fixes them). */
export const TRANSIENT_REPEATS = 5;

/**
 * The alert as one line for a person: the `text` of the webhook's body, which is what a Slack
 * incoming webhook (and Discord's Slack-compatible one, its URL ending in /slack) shows.
 */
export function alertText(a: Alert): string {
  return `Kith alert ${a.kind} (${a.subject}): ${a.message}`.replace(/\s*[\r\n]+\s*/g, ' ');
}

/**
 * Alerts go to the log and, when KITH_ALERT_WEBHOOK_URL is set, are POSTed there as JSON: the
 * alert's fields, and `text`, one line that a chat's incoming webhook shows as the message.
 * Transient failures (a retry will likely fix them) are only raised from their fifth repeat
 * per kind + subject, counted in this process; everything else is raised at once. Delivery
 * problems are logged, never thrown: an alert must not fail the job that raised it.
 */
export class Alerter implements Alerts {
  private readonly repeats = new Map<string, number>();
  /** Alerts raised by this process (tests, /health). */
  readonly raised: Alert[] = [];

  constructor(
    private readonly log: Logger,
    private readonly webhookUrl?: string,
  ) {}

  async raise(a: Alert, opts: { transient?: boolean } = {}): Promise<boolean> {
    if (opts.transient) {
      const key = `${a.kind}|${a.subject}`;
      const n = (this.repeats.get(key) ?? 0) + 1;
      this.repeats.set(key, n);
      if (n < TRANSIENT_REPEATS) return false;
      a = { ...a, details: { ...a.details, repeats: n } };
    }
    this.raised.push(a);
    if (this.raised.length > 100) this.raised.shift();
    this.log.warn({ alert: a.kind, subject: a.subject, ...a.details }, `ALERT ${a.kind}: ${a.message}`);
    if (this.webhookUrl) {
      try {
        const res = await request(this.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ source: 'kith', at: new Date().toISOString(), ...a, text: alertText(a) }),
          headersTimeout: 5_000,
          bodyTimeout: 5_000,
        });
        await res.body.dump();
        if (res.statusCode >= 300) this.log.warn({ status: res.statusCode }, 'alert webhook answered with an error');
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'alert webhook could not be reached');
      }
    }
    return true;
  }

  /** A success clears the repeat count of transient failures for that subject. */
  clear(kind: AlertKind, subject: string): void {
    this.repeats.delete(`${kind}|${subject}`);
  }
}
