/**
 * `npm run bench -- promote --people 5000 [--interactions N] [--db sqlite|postgres]`: the first
 * promotion of people into contacts on its own. Writes the DAG benchmark's synthetic exports
 * (every person is in the vCard address book) for that many people, collects, links and scores
 * them in this process (not timed), then times one `promoteContacts` over an embedded Redis and
 * the local canonical store (no other contact system, as `kith sync` runs by default), and a
 * second one that must write nothing. Progress on stderr, one JSON line last on stdout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openHub } from '../src/app/open-hub.js';
import { openDb } from '../src/db/open-db.js';
import { createLogger } from '../src/log/logger.js';
import { linkEntities } from '../src/people/link.service.js';
import { discoverRelationships } from '../src/people/relationships.service.js';
import { computeStrengths } from '../src/people/strengths.service.js';
import { promoteContacts } from '../src/promotion/promote.service.js';
import { startEmbeddedRedis } from '../src/redis/embedded-redis.js';
import { collectSource } from '../src/sync/collect-source.service.js';
import { loadKithConfig, resolveOnThisHost } from '../src/sync/kith-config.js';
import { startPostgres } from '../tests/support/postgres-server.js';
import { generate } from './dag.bench.js';

const HELP = 'usage: npm run bench -- promote [--people N] [--interactions N (default 50 per person)] [--db sqlite|postgres] [--keep]';
const log = (m: string) => process.stderr.write(`[promote bench] ${m}\n`);
const secs = (ms: number) => Math.round(ms / 10) / 100;

export async function main(args: string[]) {
  const { values } = parseArgs({ args, options: { people: { type: 'string', default: '5000' }, interactions: { type: 'string' }, db: { type: 'string', default: 'sqlite' }, keep: { type: 'boolean' }, help: { type: 'boolean' } } });
  if (values.help) return console.error(HELP);
  const people = Number(values.people);
  const interactions = Number(values.interactions ?? people * 50);
  if (!(people > 1) || !(interactions > 0)) throw new Error(`--people and --interactions must be positive numbers\n${HELP}`);
  if (values.db !== 'sqlite' && values.db !== 'postgres') throw new Error(`--db must be sqlite or postgres\n${HELP}`);
  const dir = mkdtempSync(join(tmpdir(), 'kith-bench-promote-'));
  const cleanup: (() => unknown)[] = [() => values.keep || rmSync(dir, { recursive: true, force: true })];
  try {
    const s0 = performance.now();
    await generate(dir, people, interactions);
    const redis = await startEmbeddedRedis({ dir: join(dir, 'redis'), extraArgs: ['--save', '', '--appendonly', 'no'], supervise: false });
    cleanup.unshift(() => redis.stop());
    let db;
    if (values.db === 'postgres') {
      const server = await startPostgres();
      cleanup.unshift(() => server.stop());
      const admin = new pg.Client({ connectionString: server.url });
      await admin.connect();
      await admin.query('CREATE DATABASE kith_bench');
      await admin.end();
      db = await openDb({ engine: 'postgres', url: server.url.replace(/\/[^/]*$/, '/kith_bench') });
    } else db = await openDb({ engine: 'sqlite', path: join(dir, 'kith.db') });
    cleanup.unshift(() => db.close());

    const config = loadKithConfig(join(dir, 'kith.config.yaml'));
    for (const s of config.sources) await collectSource(db, resolveOnThisHost(s), config.self);
    await linkEntities(db);
    await discoverRelationships(db);
    await computeStrengths(db);
    const setup = performance.now() - s0;
    log(`${people} people, ${interactions} interactions collected, linked and scored in ${secs(setup)} s; promoting …`);

    const hub = await openHub({ db, redisUrl: redis.url, prefix: '{bench}', log: createLogger('error'), env: {} });
    cleanup.unshift(() => hub.close());
    const rule = config.contacts.promote;
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
    const t0 = performance.now();
    const first = await promoteContacts(hub, { rule, categories: config.categories });
    const promotion = performance.now() - t0;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    log(`first promotion: ${first.created} created in ${secs(promotion)} s; again …`);
    const t1 = performance.now();
    const second = await promoteContacts(hub, { rule, categories: config.categories });
    const again = performance.now() - t1;
    const contacts = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM contacts');
    console.log(
      JSON.stringify({
        bench: 'promote',
        db: values.db,
        people,
        interactions,
        setup_s: secs(setup),
        created: first.created,
        failed: first.failed,
        contacts: Number(contacts?.n ?? 0),
        second_written: second.created + second.updated + second.merged + second.restored,
        second_promotion_s: secs(again),
        load_average: loadavg().map((x) => Math.round(x * 100) / 100),
        promotion_s: secs(promotion),
        people_per_s: Math.round((first.considered / (promotion / 1000)) * 10) / 10,
        peak_rss_mb: Math.round(peak / 2 ** 20),
      }),
    );
  } finally {
    for (const c of cleanup) await c();
  }
}
