import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../../src/db/open-db.js';
import { runKith } from '../../support/cli.js';

/** A small mbox: 200 messages among 20 people. */
function writeExports(dir: string): string {
  const email = (i: number) => `person${i}@example.org`;
  const lines: string[] = [];
  for (let m = 0; m < 200; m++) {
    const d = new Date(Date.UTC(2021, 0, 1) + m * 60_000).toUTCString().replace('GMT', '+0000');
    lines.push(`From ${email(m % 20)} ${d}\nMessage-ID: <c${m}@concurrent.kith>\nFrom: Person ${m % 20} <${email(m % 20)}>\nTo: Me <me@example.com>\nDate: ${d}\nSubject: hi ${m}\n\nhello\n\n`);
  }
  writeFileSync(join(dir, 'mail.mbox'), lines.join(''));
  const config = join(dir, 'kith.config.yaml');
  writeFileSync(config, 'self: { emails: [me@example.com] }\nsources:\n  - { type: mbox, path: mail.mbox }\n');
  return config;
}

/** Pids of the redis-server processes whose data directory lies under `dir`. */
function redisServersUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      // redis-server rewrites its command line; its working directory is its --dir.
      if (readFileSync(`/proc/${e}/comm`, 'utf8').trim() === 'redis-server' && readlinkSync(`/proc/${e}/cwd`).startsWith(dir)) pids.push(Number(e));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

describe('two kith sync started together on one data directory', () => {
  it('run one sync run on one embedded redis-server, and both report it (5 trials)', async () => {
    for (let trial = 1; trial <= 5; trial++) {
      const dir = mkdtempSync(join(tmpdir(), 'kith-concurrent-'));
      try {
        const env = { KITH_CONFIG: writeExports(dir), KITH_DATA_DIR: join(dir, 'data') };
        const seen = new Set<number>();
        let watching = true;
        const watch = (async () => {
          while (watching) {
            for (const pid of redisServersUnder(join(dir, 'data'))) seen.add(pid);
            await new Promise((r) => setTimeout(r, 20));
          }
        })();
        const [a, b] = await Promise.all([runKith(['sync', '--json'], env, 60_000), runKith(['sync', '--json'], env, 60_000)]).finally(() => (watching = false));
        await watch;
        expect([a.code, b.code], `trial ${trial}:\n${a.stderr}\n${b.stderr}`).toEqual([0, 0]);
        const ra = JSON.parse(a.stdout.trim().split('\n').pop()!) as { runId: string; interactions: number };
        const rb = JSON.parse(b.stdout.trim().split('\n').pop()!) as { runId: string; interactions: number };
        expect(rb.runId, `trial ${trial}`).toBe(ra.runId);
        expect(ra.interactions).toBe(200);
        expect(seen.size, `trial ${trial}: redis-server processes ${[...seen].join(', ')}`).toBe(1);
        const db = await openDb({ engine: 'sqlite', path: join(dir, 'data', 'kith.db') });
        try {
          expect(await db.all<{ id: string }>('SELECT id FROM sync_runs')).toEqual([{ id: ra.runId }]);
        } finally {
          await db.close();
        }
        expect(redisServersUnder(join(dir, 'data'))).toEqual([]); // the owner stopped it on the way out
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }, 300_000);
});
