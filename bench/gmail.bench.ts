/**
 * `npm run bench -- gmail --messages 5000 [--quota 250] [--concurrency 10]`
 *
 * A full Gmail sync through the real SDK against the loopback emulator enforcing the per-user
 * quota (units a second), then 100 new messages read from the history. The quota, not Kith, is
 * the limit: Kith should run at it (quota_utilisation near 1) and never over it
 * (rate_limited_responses 0). Progress on stderr; the last stdout line is one JSON object.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDb } from '../src/db/open-db.js';
import { startEmbeddedRedis } from '../src/redis/embedded-redis.js';
import { collectSource } from '../src/sync/collect-source.service.js';
import type { ConfiguredSource } from '../src/sync/kith-config.js';
import { startGmailEmulator } from '../tests/emulators/google/gmail/gmail-emulator.js';

const log = (msg: string) => process.stderr.write(`[gmail] ${msg}\n`);

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { messages: { type: 'string', default: '5000' }, quota: { type: 'string', default: '250' }, concurrency: { type: 'string', default: '10' } } });
  const n = Number(values.messages);
  const quota = Number(values.quota);
  const dir = mkdtempSync(join(tmpdir(), 'kith-bench-gmail-'));
  const redis = await startEmbeddedRedis({ dir: join(dir, 'redis'), extraArgs: ['--save', '', '--appendonly', 'no'], supervise: false });
  const em = await startGmailEmulator({ quotaUnitsPerS: quota });
  const db = await openDb({ engine: 'sqlite', path: join(dir, 'kith.db') }, { migrate: true });
  let peakRss = process.memoryUsage().rss;
  const rss = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  try {
    Object.assign(process.env, { REDIS_URL: redis.url, KITH_QUEUE_PREFIX: '{bench}', GOOGLE_ACCESS_TOKEN: em.token, KITH_DATA_DIR: dir });
    const mail = (i: number) => ({
      headers: { From: `Person ${i % 400} <p${i % 400}@example.com>`, To: 'me@example.com', Date: new Date(Date.UTC(2025, 0, 1) + i * 60_000).toUTCString(), Subject: `Message ${i}`, 'Message-ID': `<m${i}@bench.example.com>` },
      labelIds: ['INBOX'],
    });
    for (let i = 0; i < n; i++) em.add(mail(i));
    const source = { id: 'gmail', type: 'gmail', path: '', base_url: em.url, concurrency: Number(values.concurrency), quota_units_per_s: quota } as unknown as ConfiguredSource;
    const self = { emails: ['me@example.com'], phones: [], names: [] };
    log(`full sync of ${n} messages at ${quota} units/s`);
    const t0 = performance.now();
    const full = await collectSource(db, source, self, { progress: (p) => p.done % 1000 === 0 && log(`${p.done}/${p.total ?? '?'}`) });
    const fullS = (performance.now() - t0) / 1000;
    const units = em.stats.units;
    const activeS = Math.max(1, em.stats.lastAt - em.stats.firstAt) / 1000;
    for (let i = n; i < n + 100; i++) em.add(mail(i));
    const t1 = performance.now();
    const inc = await collectSource(db, source, self);
    const incMs = performance.now() - t1;
    log(`full: ${full.result.interactions.inserted} interactions in ${fullS.toFixed(1)} s; incremental: ${inc.result.interactions.inserted} in ${incMs.toFixed(0)} ms`);
    console.log(
      JSON.stringify({
        messages: n,
        messages_per_s: Math.round((n / fullS) * 10) / 10,
        quota_units_per_s: Math.round((units / activeS) * 10) / 10,
        quota_utilisation: Math.round((units / (activeS * quota)) * 1000) / 1000,
        rate_limited_responses: em.stats.rateLimited,
        incremental_100_new_ms: Math.round(incMs),
        peak_rss_mb: Math.round(peakRss / 1024 / 1024),
      }),
    );
  } finally {
    clearInterval(rss);
    await db.close();
    await em.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
