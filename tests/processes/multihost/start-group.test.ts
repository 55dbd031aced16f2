import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../../src/redis/free-port.js';
import { runKith, spawnKith } from '../../support/cli.js';
import { makeHost, SELF } from './hosts.js';

interface Status {
  sources: { source: string; group: string | null }[];
  lastRun: { status: string; steps: { id: string; status: string; group?: string }[] } | null;
}

describe('kith start with a worker group', () => {
  it("serves the group's source queues besides every other one, and lists them in Bull Board", async () => {
    const root = mkdtempSync(join(tmpdir(), 'kith-start-group-'));
    const host = makeHost(root, 'laptop', `${SELF}sources:\n  - { type: mbox, path: exports/mail.mbox, group: laptop }\n  - { type: vcard, path: exports/contacts.vcf }\n`, ['mail.mbox', 'contacts.vcf']);
    const port = await freePort();
    const env = { ...host.env, KITH_WORKER_GROUP: 'laptop', KITH_PORT: String(port), KITH_SHUTDOWN_GRACE_MS: '2000' };
    const k = spawnKith(['start'], env, 'Press Ctrl-C to stop.', 60_000);
    try {
      await k.started;
      // The first run (started by `kith start` itself) collects the grouped mailbox here.
      let status: Status | undefined;
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        status = JSON.parse((await runKith(['status', '--json'], host.env)).stdout) as Status;
        if (status.lastRun && status.lastRun.status !== 'running') break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(status!.lastRun?.status).toBe('succeeded');
      const collected = status!.lastRun!.steps.filter((s) => s.id.startsWith('collect:')).map((s) => [s.id, s.group ?? null, s.status]);
      expect(collected.sort()).toEqual([
        ['collect:mbox', 'laptop', 'succeeded'],
        ['collect:vcard', null, 'succeeded'],
      ]);
      expect(status!.sources.map((s) => [s.source, s.group])).toEqual([
        ['mbox', 'laptop'],
        ['vcard', null],
      ]);
      const board = await (await fetch(`http://127.0.0.1:${port}/admin/queues/api/queues?page=1`)).text();
      expect(board).toContain('source-mbox@laptop');
    } finally {
      k.child.kill('SIGTERM');
      await k.exited;
      rmSync(root, { recursive: true, force: true });
    }
  }, 90_000);
});
