import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadTelegramConfig } from '../../../src/config/telegram.config.js';
import { Alerter } from '../../../src/hub/services/alerts.service.js';
import { testLog } from '../../support/test-env.js';

const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** A loopback Telegram Bot API: POST /bot<token>/sendMessage. */
async function telegramEmulator() {
  const messages: { path: string; body: Record<string, unknown> }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d));
    req.on('end', () => {
      messages.push({ path: req.url ?? '', body: JSON.parse(body) as Record<string, unknown> });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true,"result":{}}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  stops.push(async () => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, messages };
}

describe('alerts to Telegram', () => {
  it('sends each alert sent, and its recovery, to the chat when the bot token and chat id are set', async () => {
    const tg = await telegramEmulator();
    const telegram = loadTelegramConfig({ TELEGRAM_BOT_TOKEN: '123456:ABC-def', TELEGRAM_CHAT_ID: '-1001', TELEGRAM_API_URL: tg.url });
    const alerts = new Alerter(testLog, undefined, { telegram });
    await alerts.raise({ kind: 'safety_valve', subject: 'table books', message: 'table books: safety valve: nothing written' });
    await alerts.raise({ kind: 'safety_valve', subject: 'table books', message: 'again' });
    await alerts.clear('safety_valve', 'table books');
    expect(tg.messages.map((m) => m.path)).toEqual(['/bot123456:ABC-def/sendMessage', '/bot123456:ABC-def/sendMessage']);
    expect(tg.messages[0]!.body).toMatchObject({ chat_id: '-1001', text: expect.stringContaining('safety_valve (table books): table books: safety valve') });
    expect(tg.messages[1]!.body.text).toMatch(/^Kith recovered/);
  });

  it('is off without both variables, and names the missing one', () => {
    expect(loadTelegramConfig({})).toBeUndefined();
    expect(() => loadTelegramConfig({ TELEGRAM_BOT_TOKEN: '123456:ABC-def' })).toThrow(/TELEGRAM_CHAT_ID: must be set too/);
  });
});
