import type pg from 'pg';
import { request } from 'undici';
import { ident } from './postgrest-sql.js';

/**
 * Supabase Database Webhooks as Supabase builds them: an AFTER trigger per row writes
 * `{type, table, schema, record, old_record}` (to_jsonb of the rows) to an outbox and notifies;
 * the emulator POSTs each entry in order with `Authorization: Bearer <secret>`. Because it is a
 * trigger, edits made with plain SQL (a user in the dashboard) are delivered too.
 */
export const OUTBOX = '_emulator_webhook_outbox';
const CHANNEL = '_emulator_webhooks';

export function webhookSetupSql(tables: string[]): string {
  return [
    `CREATE TABLE IF NOT EXISTS ${OUTBOX} (id BIGSERIAL PRIMARY KEY, payload JSONB NOT NULL)`,
    `CREATE OR REPLACE FUNCTION _emulator_webhook() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       INSERT INTO ${OUTBOX} (payload) VALUES (jsonb_build_object(
         'type', TG_OP, 'table', TG_TABLE_NAME, 'schema', TG_TABLE_SCHEMA,
         'record', CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) END,
         'old_record', CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) END));
       PERFORM pg_notify('${CHANNEL}', '');
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

export class DbWebhookSender {
  readonly deliveries: DbWebhookDelivery[] = [];
  private draining: Promise<void> | undefined;
  private again = false;
  private listener: pg.Client | undefined;

  constructor(
    private readonly pool: pg.Pool,
    public url: string | undefined,
    public secret: string | undefined,
  ) {}

  async listen(client: pg.Client): Promise<void> {
    this.listener = client;
    client.on('notification', () => this.kick());
    client.on('error', () => undefined);
    await client.query(`LISTEN ${CHANNEL}`);
  }

  kick(): void {
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = (async () => {
      do {
        this.again = false;
        await this.drainOnce();
      } while (this.again);
    })()
      .catch(() => undefined)
      .finally(() => {
        this.draining = undefined;
      });
  }

  /** Deliver everything queued so far (bounded: stops after 50 empty-handed rounds). */
  async flush(): Promise<void> {
    for (let i = 0; i < 50; i++) {
      this.kick();
      while (this.draining) await this.draining;
      const { rows } = await this.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${OUTBOX}`);
      if (rows[0]!.n === 0) return;
    }
  }

  async close(): Promise<void> {
    await this.listener?.end().catch(() => undefined);
    while (this.draining) await this.draining;
  }

  private async drainOnce(): Promise<void> {
    for (let round = 0; round < 10_000; round++) {
      const { rows } = await this.pool.query<{ id: string; payload: { type: string; table: string } }>(
        `DELETE FROM ${OUTBOX} WHERE id IN (SELECT id FROM ${OUTBOX} ORDER BY id LIMIT 100) RETURNING id, payload`,
      );
      if (!rows.length) return;
      rows.sort((a, b) => Number(a.id) - Number(b.id));
      for (const r of rows) await this.deliver(r.payload);
      // A short batch emptied the outbox as of that query; anything queued since has notified
      // (kick sets `again`), so no empty-handed query is needed to find out.
      if (rows.length < 100) return;
    }
  }

  private async deliver(payload: { type: string; table: string }): Promise<void> {
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
