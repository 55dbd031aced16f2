import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { request } from 'undici';
import type { ChangeEvent } from './twenty-store.js';

/**
 * Delivers Twenty webhooks the way its server does: JSON body
 * `{targetUrl, eventName, objectMetadata, workspaceId, webhookId, eventDate, record, updatedFields?}`
 * and, when a secret is set, X-Twenty-Webhook-Timestamp (ms), -Signature (hex HMAC-SHA256 over
 * `${timestamp}:${JSON.stringify(body)}`) and -Nonce. Signed independently of Kith's own code,
 * so a mistake there cannot hide behind the same mistake here. One at a time, in change order;
 * no retries (Twenty does not appear to retry).
 */
export interface WebhookDelivery {
  eventName: string;
  recordId: string;
  status?: number;
  error?: string;
  nonce: string;
  at: number;
}

export class TwentyWebhookSender {
  readonly deliveries: WebhookDelivery[] = [];
  private queue: ChangeEvent[] = [];
  private running: Promise<void> | undefined;
  readonly workspaceId = randomUUID();
  readonly webhookId = randomUUID();
  private readonly objectIds = { person: randomUUID(), company: randomUUID() };

  constructor(
    public url: string | undefined,
    public secret: string | undefined,
  ) {}

  enqueue(e: ChangeEvent): void {
    if (!this.url || e.object !== 'person') return;
    this.queue.push(e);
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  /** Wait until every queued delivery was attempted. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    for (let e = this.queue.shift(); e; e = this.queue.shift()) await this.deliver(e);
  }

  private async deliver(e: ChangeEvent): Promise<void> {
    const url = this.url;
    if (!url) return;
    const eventName = `${e.object}.${e.action}`;
    const body = {
      targetUrl: url,
      eventName,
      objectMetadata: { id: this.objectIds[e.object], nameSingular: e.object },
      workspaceId: this.workspaceId,
      webhookId: this.webhookId,
      eventDate: new Date().toISOString(),
      record: e.record,
      ...(e.updatedFields ? { updatedFields: e.updatedFields } : {}),
    };
    const text = JSON.stringify(body);
    const nonce = randomBytes(16).toString('hex');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.secret) {
      const ts = String(Date.now());
      headers['x-twenty-webhook-timestamp'] = ts;
      headers['x-twenty-webhook-signature'] = createHmac('sha256', this.secret).update(`${ts}:${text}`).digest('hex');
      headers['x-twenty-webhook-nonce'] = nonce;
    }
    const d: WebhookDelivery = { eventName, recordId: e.record.id, nonce, at: Date.now() };
    try {
      const res = await request(url, { method: 'POST', headers, body: text, headersTimeout: 5_000, bodyTimeout: 5_000 });
      await res.body.dump();
      d.status = res.statusCode;
    } catch (err) {
      d.error = (err as Error).message;
    }
    this.deliveries.push(d);
  }
}
