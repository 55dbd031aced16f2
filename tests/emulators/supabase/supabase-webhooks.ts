import type pg from 'pg';
import { request } from 'undici';
import { ident } from './postgrest-sql.js';

/**
 * Supabase Database Webhooks as Supabase builds them: an AFTER trigger per row builds
 * `{type, table, schema, record, old_record}` (to_jsonb of the rows) and the emulator POSTs each
 * one in commit order with `Authorization: Bearer <secret>`. Because it is a trigger, edits made
 * with plain SQL (a user in the dashboard) are delivered too. The payload travels in the
 * NOTIFY itself (no table write, no query to fetch it); one too large for a notification
 * (PostgreSQL's limit is 8,000 bytes) goes through an outbox table, and its notification names
 * the row, so the order stays the commit order.
 */
export const OUTBOX = '_emulator_webhook_outbox';
const CHANNEL = '_emulator_webhooks';
/** Payloads up to this many bytes ride in the notification. */
const INLINE_BYTES = 7_900;
/** Notifications that are not payloads (those are JSON objects): a point in the stream (flush), an outbox row. */
const MARKER = '#flush:';
const OUTBOX_ROW = '#outbox:';

export function webhookSetupSql(tables: string[]): string {
  return [
    `CREATE TABLE IF NOT EXISTS ${OUTBOX} (id BIGSERIAL PRIMARY KEY, payload JSONB NOT NULL)`,
    `CREATE OR REPLACE FUNCTION _emulator_webhook() RETURNS trigger LANGUAGE plpgsql AS $$
     DECLARE payload jsonb := jsonb_build_object(
         'type', TG_OP, 'table', TG_TABLE_NAME, 'schema', TG_TABLE_SCHEMA,
         'record', CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) END,
         'old_record', CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) END);
       text_payload text := payload::text;
       row_id bigint;
     BEGIN
       IF octet_length(text_payload) <= ${INLINE_BYTES} THEN
         PERFORM pg_notify('${CHANNEL}', text_payload);
       ELSE
         INSERT INTO ${OUTBOX} (payload) VALUES (payload) RETURNING id INTO row_id;
         PERFORM pg_notify('${CHANNEL}', '${OUTBOX_ROW}' || row_id);
       END IF;
       RETURN NULL;
     END $$`,
    ...tables.map(
      (t) => `CREATE TRIGGER _emulator_webhook AFTER INSERT OR UPDATE OR DELETE ON ${ident(t)} FOR EACH ROW EXECUTE FUNCTION _emulator_webhook()`,
    ),
  ].join(';\n');
}

export interface DbWebhookDelivery {
  type: string;
  table: string;
  status?: number;
  error?: string;
  at: number;
}

type Payload = { type: string; table: string };

export class DbWebhookSender {
  readonly deliveries: DbWebhookDelivery[] = [];
  /** Notifications not yet handled, in the order PostgreSQL sent them (commit order). */
  private readonly queue: string[] = [];
  private running: Promise<void> | undefined;
  private readonly markers = new Map<string, () => void>();
  private seq = 0;
  private listener: pg.Client | undefined;

  constructor(
    private readonly pool: pg.Pool,
    public url: string | undefined,
    public secret: string | undefined,
  ) {}

  async listen(client: pg.Client): Promise<void> {
    this.listener = client;
    client.on('notification', (n) => this.push(n.payload ?? ''));
    client.on('error', () => undefined);
    await client.query(`LISTEN ${CHANNEL}`);
  }

  /**
   * Deliver everything committed so far: a marker notification is sent and, since notifications
   * arrive in commit order, every webhook before it has been handled when it comes back; then
   * whatever is left in the outbox (a notification lost with a dropped listener) is delivered
   * (bounded: 10 s for the marker).
   */
  async flush(): Promise<void> {
    if (!this.listener) return;
    const marker = `${MARKER}${++this.seq}`;
    const seen = new Promise<void>((resolve) => this.markers.set(marker, resolve));
    let timer: NodeJS.Timeout | undefined;
    try {
      await this.pool.query('SELECT pg_notify($1, $2)', [CHANNEL, marker]);
      await Promise.race([seen, new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
    } finally {
      clearTimeout(timer);
      this.markers.delete(marker);
    }
    this.push('');
    while (this.running) await this.running;
  }

  async close(): Promise<void> {
    await this.listener?.end().catch(() => undefined);
    while (this.running) await this.running;
  }

  private push(notification: string): void {
    this.queue.push(notification);
    this.start();
  }

  private start(): void {
    if (this.running) return;
    this.running = this.run().finally(() => {
      this.running = undefined;
      // Pushed after the loop found the queue empty but before this ran: not left behind.
      if (this.queue.length) this.start();
    });
  }

  /** One notification at a time, in order: a payload is delivered, an outbox row is taken and delivered, a marker is acknowledged, '' drains the outbox. */
  private async run(): Promise<void> {
    for (let n = this.queue.shift(); n !== undefined; n = this.queue.shift()) {
      try {
        if (n === '') await this.drainOutbox();
        else if (n.startsWith(MARKER)) this.markers.get(n)?.();
        else if (n.startsWith(OUTBOX_ROW)) await this.takeRow(n.slice(OUTBOX_ROW.length));
        else await this.deliver(JSON.parse(n) as Payload);
      } catch {
        // a failed delivery is recorded by deliver; a failed outbox read is retried by the next ''
      }
    }
  }

  private async takeRow(id: string): Promise<void> {
    const { rows } = await this.pool.query<{ payload: Payload }>(`DELETE FROM ${OUTBOX} WHERE id = $1 RETURNING payload`, [id]);
    if (rows[0]) await this.deliver(rows[0].payload);
  }

  private async drainOutbox(): Promise<void> {
    for (let round = 0; round < 10_000; round++) {
      const { rows } = await this.pool.query<{ id: string; payload: Payload }>(
        `DELETE FROM ${OUTBOX} WHERE id IN (SELECT id FROM ${OUTBOX} ORDER BY id LIMIT 100) RETURNING id, payload`,
      );
      if (!rows.length) return;
      rows.sort((a, b) => Number(a.id) - Number(b.id));
      for (const r of rows) await this.deliver(r.payload);
      if (rows.length < 100) return;
    }
  }

  private async deliver(payload: Payload): Promise<void> {
    const url = this.url;
    if (!url) return;
    const d: DbWebhookDelivery = { type: payload.type, table: payload.table, at: Date.now() };
    try {
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.secret ? { authorization: `Bearer ${this.secret}` } : {}) },
        body: JSON.stringify(payload),
        headersTimeout: 5_000,
        bodyTimeout: 5_000,
      });
      await res.body.dump();
      d.status = res.statusCode;
    } catch (err) {
      d.error = (err as Error).message;
    }
    this.deliveries.push(d);
  }
}
