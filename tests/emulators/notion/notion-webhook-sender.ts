import { createHmac, randomUUID } from 'node:crypto';
import { request } from 'undici';
import type { PageEvent } from './notion-store.js';

/**
 * Delivers Notion webhook events the way Notion does: first, once, the verification request
 * `{verification_token}` (unsigned); then each event as JSON
 * `{id, timestamp, workspace_id, subscription_id, integration_id, type, authors, attempt_number,
 * api_version, entity: {id, type: 'page'}, data: {parent, updated_properties?}}` with
 * `X-Notion-Signature: sha256=<hex HMAC-SHA256 of the raw body keyed by the verification token>`.
 * Events carry ids, not content. Signed here independently of Kith's own check. In order, no retries.
 */
export interface NotionWebhookDelivery {
  type: string;
  pageId?: string;
  status?: number;
  error?: string;
  at: number;
}

export class NotionWebhookSender {
  readonly deliveries: NotionWebhookDelivery[] = [];
  readonly workspaceId = randomUUID();
  readonly subscriptionId = randomUUID();
  readonly integrationId = randomUUID();
  private queue: (() => Promise<void>)[] = [];
  private running: Promise<void> | undefined;

  constructor(
    public url: string | undefined,
    public verificationToken: string,
  ) {}

  /** The one-time verification request Notion sends when a subscription is created. */
  sendVerification(): Promise<void> {
    return this.push(() => this.post({ verification_token: this.verificationToken }, 'verification', undefined, false));
  }

  enqueue(e: PageEvent): void {
    if (!this.url) return;
    const body = {
      id: randomUUID(),
      timestamp: new Date().toISOString(),
      workspace_id: this.workspaceId,
      workspace_name: 'Emulated workspace',
      subscription_id: this.subscriptionId,
      integration_id: this.integrationId,
      type: e.type,
      authors: [e.author],
      attempt_number: 1,
      api_version: '2025-09-03',
      entity: { id: e.page.id, type: 'page' },
      data: {
        parent: { id: e.page.dataSourceId, type: 'database', data_source_id: e.page.dataSourceId },
        ...(e.updatedProperties ? { updated_properties: e.updatedProperties } : {}),
      },
    };
    void this.push(() => this.post(body, e.type, e.page.id, true));
  }

  /** Wait until every queued delivery was attempted. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private push(job: () => Promise<void>): Promise<void> {
    this.queue.push(job);
    this.running ??= (async () => {
      for (let j = this.queue.shift(); j; j = this.queue.shift()) await j();
    })().finally(() => {
      this.running = undefined;
    });
    return this.flush();
  }

  private async post(body: unknown, type: string, pageId: string | undefined, signed: boolean): Promise<void> {
    const url = this.url;
    if (!url) return;
    const text = JSON.stringify(body);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'notion-api' };
    if (signed) headers['x-notion-signature'] = `sha256=${createHmac('sha256', this.verificationToken).update(text).digest('hex')}`;
    const d: NotionWebhookDelivery = { type, pageId, at: Date.now() };
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
