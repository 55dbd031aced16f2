import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TwentyClient } from '../../../../src/systems/twenty/twenty-client.js';
import { TwentyContactSystem } from '../../../../src/systems/twenty/twenty-contact-system.js';
import { twentyWebhookPayload } from '../../../../src/systems/twenty/webhook-payload.js';
import { verifyTwentyWebhook } from '../../../../src/systems/twenty/webhook-signature.js';
import { startTwentyEmulator, type TwentyEmulator } from '../../../emulators/twenty/twenty-emulator.js';
import { makeContact } from '../../../support/systems/twenty/contact-fixture.js';

const secret = 'twenty-webhook-secret';
const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** A tiny receiver standing in for Kith's route: records raw body and headers. */
async function listener() {
  const received: { headers: IncomingHttpHeaders; raw: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(202).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  stops.push(async () => {
    server.close();
    await once(server, 'close');
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/twenty`, received };
}

async function emulatorWith(url: string): Promise<TwentyEmulator> {
  const emu = await startTwentyEmulator({ webhookUrl: url, webhookSecret: secret });
  stops.push(() => emu.stop());
  return emu;
}

describe('Twenty emulator webhooks', () => {
  it('sends a signed webhook for every change, REST or UI, that Kith can verify', async () => {
    const hook = await listener();
    const emu = await emulatorWith(hook.url);
    const system = new TwentyContactSystem(new TwentyClient({ apiUrl: emu.url, apiKey: emu.apiKey }));
    stops.push(() => system.close());
    const c = makeContact();
    await system.upsertMany([c]); // REST create
    emu.editPerson(c.contact_id, { jobTitle: 'Edited in the UI' });
    await system.softDelete([{ contactId: c.contact_id }], new Date().toISOString());
    await system.upsertMany([c]); // restore + PATCH back
    await emu.flushWebhooks();

    const events = hook.received.map((r) => {
      const v = verifyTwentyWebhook({
        secret,
        timestampHeader: r.headers['x-twenty-webhook-timestamp'],
        signatureHeader: r.headers['x-twenty-webhook-signature'],
        rawBody: r.raw,
        nowMs: Date.now(),
      });
      expect(v.ok).toBe(true);
      expect(r.headers['x-twenty-webhook-nonce']).toMatch(/^[0-9a-f]{32}$/);
      const p = twentyWebhookPayload.parse(JSON.parse(r.raw));
      expect(p.record.id).toBe(c.contact_id);
      expect(p.targetUrl).toBe(hook.url);
      return [p.eventName, p.updatedFields ?? null];
    });
    expect(events).toEqual([
      ['person.created', null],
      ['person.updated', ['jobTitle']],
      ['person.deleted', null],
      ['person.restored', null],
      ['person.updated', ['jobTitle']],
    ]);
    expect(new Set(hook.received.map((r) => r.headers['x-twenty-webhook-nonce'])).size).toBe(5);
    expect(emu.webhookDeliveries.every((d) => d.status === 202)).toBe(true);
  });

  it('a receiver with the wrong secret rejects every delivery', async () => {
    const hook = await listener();
    const emu = await emulatorWith(hook.url);
    emu.createPerson({ name: { firstName: 'Ui', lastName: 'Made' } });
    await emu.flushWebhooks();
    expect(hook.received).toHaveLength(1);
    const r = hook.received[0]!;
    const v = verifyTwentyWebhook({
      secret: 'not-the-secret',
      timestampHeader: r.headers['x-twenty-webhook-timestamp'],
      signatureHeader: r.headers['x-twenty-webhook-signature'],
      rawBody: r.raw,
      nowMs: Date.now(),
    });
    expect(v).toEqual({ ok: false, reason: 'bad_signature' });
    expect(JSON.parse(r.raw).record.createdBy.source).toBe('MANUAL');
  });

  it('records a failed delivery without retrying', async () => {
    const emu = await emulatorWith('http://127.0.0.1:9/unreachable');
    emu.createPerson({ name: { firstName: 'Lost', lastName: 'Hook' } });
    await emu.flushWebhooks();
    expect(emu.webhookDeliveries).toHaveLength(1);
    expect(emu.webhookDeliveries[0]!.error).toBeTruthy();
  });
});
