import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../../src/db/db.js';
import { runKith } from '../../support/cli.js';
import { type HubEnv, startHubEnv, until } from '../../support/hub/hub-kit.js';
import { cleanupRedis, freshDb, redisUrl, type TestDb, uniquePrefix } from '../../support/test-env.js';
import { type HostWorker, makeHost, SELF, startAll, startWorker } from './hosts.js';

interface Report {
  status: string;
  people: number;
  interactions: number;
  relationships: number;
  steps: { id: string; status: string; group?: string; error?: string; records: number }[];
}
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!) as Report;

/** Four sources on three hosts; each entry names the worker group whose host holds its file. */
const GROUPED = `${SELF}sources:
  - { type: mbox, path: exports/mail.mbox, group: host-a }
  - { type: whatsapp, id: whatsapp-zoe, path: exports/zoe.txt, group: host-a }
  - { type: ics, path: exports/calendar.ics, group: host-b }
  - { type: vcard, path: exports/contacts.vcf, group: host-c }
`;
/** The same files on one host, without groups. */
const SINGLE = GROUPED.replace(/, group: host-[abc]/g, '');
/** Plus a chat whose entry sends it to host-c, while only host-a holds the file. */
const MISPLACED = `${GROUPED}  - { type: whatsapp, id: whatsapp-book-club, path: exports/book-club.txt, group: host-c }\n`;

/** Everything a run leaves in the people graph, in a form two databases can be compared by. */
async function graph(db: Db) {
  const people = await db.all<Record<string, unknown>>(
    `SELECT canonical_name, emails, phones, email_count, meeting_count, message_count, mention_count, call_count FROM people WHERE merged_into IS NULL ORDER BY canonical_name, emails`,
  );
  const interactions = await db.all<Record<string, unknown>>(
    `SELECT p.canonical_name, i.source_type, i.external_id, i.occurred_at FROM interactions i JOIN people p ON p.id = i.person_id ORDER BY i.source_type, i.external_id, p.canonical_name`,
  );
  const relationships = await db.all<Record<string, unknown>>(
    `SELECT a.canonical_name AS a, b.canonical_name AS b, r.shared_events_count, r.shared_threads_count, r.shared_messages_count
       FROM relationships r JOIN people a ON a.id = r.person_a JOIN people b ON b.id = r.person_b`,
  );
  const pairs = relationships.map((r) => ({ ...r, pair: [String(r.a), String(r.b)].sort().join(' & '), a: undefined, b: undefined })).sort((x, y) => x.pair.localeCompare(y.pair));
  return { people, interactions: interactions.map((i) => ({ ...i, occurred_at: Number(i.occurred_at) })), relationships: pairs };
}

/**
 * Three "hosts" on this machine: each a folder with its own data directory holding only its own
 * exports, and `kith worker` processes of its own; all on one PostgreSQL database and one Redis.
 * A coordinator (`kith sync` with no workers of its own) starts the run; the contact hub's HTTP
 * side runs in the test, its queues are served by the hosts' workers.
 */
describe('many worker hosts on one PostgreSQL and one Redis', () => {
  const root = mkdtempSync(join(tmpdir(), 'kith-multihost-'));
  let h: HubEnv;
  const workers: HostWorker[] = [];
  let hostA: ReturnType<typeof makeHost>;
  let coordinator: ReturnType<typeof makeHost>;
  const env = (host: { env: Record<string, string> }, extra: Record<string, string> = {}) => ({ ...h.env, ...host.env, ...extra });
  const pidOf = (host: string, i = 0) => workers.filter((w) => w.host === host)[i]!.pid;

  beforeAll(async () => {
    h = await startHubEnv({ engine: 'postgres', workers: 0 });
    hostA = makeHost(root, 'host-a', GROUPED, ['mail.mbox', 'zoe.txt', 'book-club.txt']);
    const hostB = makeHost(root, 'host-b', GROUPED, ['calendar.ics']);
    const hostC = makeHost(root, 'host-c', GROUPED, ['contacts.vcf']);
    coordinator = makeHost(root, 'coordinator', GROUPED, []);
    // host-a: its group's queues in one process (every source queue of host-a), the hub's inbound side in another.
    // host-b: its calendar and the pipeline; host-c, configured by environment as docker compose
    // does: its address book and chats, and the hub's writes to Supabase and Twenty.
    await startAll(workers, [
      startWorker('host-a', ['--group', 'host-a'], env(hostA)),
      startWorker('host-a', ['--queues', 'contacts-inbound,contacts-fanout'], env(hostA)),
      startWorker('host-b', ['--group', 'host-b', '--queues', 'source-ics,sync-run,sync-link,sync-relationships,sync-verify,sync-index'], env(hostB)),
      startWorker('host-c', [], env(hostC, { KITH_WORKER_GROUP: 'host-c', KITH_WORKER_QUEUES: 'source-vcard,source-whatsapp,contacts-to-supabase,contacts-to-twenty' })),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await h?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('each worker serves its own group’s queues', () => {
    const serving = (w: HostWorker) => /kith worker: serving (.*)/.exec(w.output())![1]!.split(', ');
    expect(serving(workers[0]!)).toEqual(expect.arrayContaining(['source-mbox@host-a', 'source-whatsapp@host-a', 'sync-content@host-a']));
    expect(serving(workers[0]!).every((q) => q.endsWith('@host-a'))).toBe(true);
    expect(serving(workers[2]!)).toEqual(['source-ics@host-b', 'sync-run', 'sync-link', 'sync-relationships', 'sync-verify', 'sync-index']);
    expect(serving(workers[3]!)).toEqual(['source-vcard@host-c', 'source-whatsapp@host-c', 'contacts-to-supabase', 'contacts-to-twenty']);
  });

  it('a coordinator with no workers of its own runs a sync whose sources are collected on the hosts that hold them, with the graph of a single-host run', async () => {
    const r = await runKith(['sync', '--json'], env(coordinator), 90_000);
    expect(r.stderr).not.toMatch(/starting workers|Error:|at .*\.ts:\d+/);
    const report = lastJson(r.stdout);
    expect({ code: r.code, status: report.status }).toEqual({ code: 0, status: 'succeeded' });
    const collected = report.steps.filter((s) => s.id.startsWith('collect:')).map((s) => [s.id, s.group, s.status]);
    expect(collected.sort()).toEqual([
      ['collect:ics', 'host-b', 'succeeded'],
      ['collect:mbox', 'host-a', 'succeeded'],
      ['collect:vcard', 'host-c', 'succeeded'],
      ['collect:whatsapp-zoe', 'host-a', 'succeeded'],
    ]);
    expect(report.steps.every((s) => s.status === 'succeeded')).toBe(true);
    // Each step's job was taken by the worker of the host that holds its file.
    const takenBy = async (queue: string) => (await h.queue(queue).getJobs(['completed'])).map((j) => j.processedBy);
    expect(await takenBy('source-mbox@host-a')).toEqual([`${hostname()}/${pidOf('host-a')}`]);
    expect(await takenBy('source-ics@host-b')).toEqual([`${hostname()}/${pidOf('host-b')}`]);
    expect(await takenBy('source-vcard@host-c')).toEqual([`${hostname()}/${pidOf('host-c')}`]);
    expect(await takenBy('source-mbox')).toEqual([]);

    // The same files on one host, on a database and queues of their own.
    const single = makeHost(root, 'single', SINGLE, ['mail.mbox', 'zoe.txt', 'calendar.ics', 'contacts.vcf']);
    let db: TestDb | undefined;
    const prefix = uniquePrefix();
    try {
      db = await freshDb('postgres');
      const one = await runKith(['sync', '--json'], { ...single.env, DATABASE_URL: db.url, REDIS_URL: redisUrl(), KITH_QUEUE_PREFIX: prefix }, 90_000);
      const alone = lastJson(one.stdout);
      expect({ code: one.code, status: alone.status }).toEqual({ code: 0, status: 'succeeded' });
      expect({ people: report.people, interactions: report.interactions, relationships: report.relationships }).toEqual({ people: alone.people, interactions: alone.interactions, relationships: alone.relationships });
      expect(report.interactions).toBeGreaterThan(20);
      expect(await graph(h.db.db)).toEqual(await graph(db.db));
    } finally {
      await db?.dispose();
      await cleanupRedis(prefix);
    }

    const status = await runKith(['status', '--json'], env(coordinator));
    const sources = (JSON.parse(status.stdout) as { sources: { source: string; group: string | null; lastError: string | null }[] }).sources;
    expect(sources.map((s) => [s.source, s.group, s.lastError])).toEqual([
      ['mbox', 'host-a', null],
      ['whatsapp-zoe', 'host-a', null],
      ['ics', 'host-b', null],
      ['vcard', 'host-c', null],
    ]);
  }, 120_000);

  it('a step whose file is missing on the host that took it fails naming the file, the host and what to do; the run follows its policy', async () => {
    const before = await graph(h.db.db);
    const misplaced = makeHost(root, 'coordinator-2', MISPLACED, []);
    const r = await runKith(['sync', '--only', 'whatsapp-book-club', '--json'], env(misplaced), 90_000);
    const report = lastJson(r.stdout);
    // A collection step's policy is `continue`: the run ends partial, the rest of it ran.
    expect({ code: r.code, status: report.status }).toEqual({ code: 2, status: 'partial' });
    const step = report.steps.find((s) => s.id === 'collect:whatsapp-book-club')!;
    expect(step).toMatchObject({ status: 'failed', group: 'host-c' });
    expect(step.error).toContain(`${join(root, 'host-c', 'exports', 'book-club.txt')} on host ${hostname()} (KITH_WORKER_GROUP=host-c)`);
    expect(step.error).toMatch(/serve this source from the worker group that holds the file: group: <that group> on the source entry 'whatsapp-book-club'/);
    expect(report.steps.filter((s) => s.id !== step.id).every((s) => s.status === 'succeeded')).toBe(true);
    // Failed for good at once (nothing to retry), and the host's worker is still serving.
    expect((await h.queue('source-whatsapp@host-c').getJobs(['failed']))[0]?.attemptsMade).toBe(1);
    expect(workers.every((w) => w.child.exitCode === null && w.child.signalCode === null)).toBe(true);
    expect(await graph(h.db.db)).toEqual(before);
    const status = await runKith(['status', '--json'], { ...env(misplaced) });
    const source = (JSON.parse(status.stdout) as { sources: { source: string; group: string | null; lastError: string | null }[] }).sources.find((s) => s.source === 'whatsapp-book-club')!;
    expect(source.group).toBe('host-c');
    expect(source.lastError).toContain('(KITH_WORKER_GROUP=host-c)');
  }, 100_000);

  it("the contact hub's traffic is processed by the hosts' workers: signed webhooks fan out to Supabase and Twenty", async () => {
    const sbRow = async (id: string) => (await h.supabase.sql<Record<string, unknown>>('SELECT * FROM contacts WHERE contact_id = $1', [id]))[0];
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(h.twenty.createPerson({ name: { firstName: `Host${i}`, lastName: 'Person' }, emails: { primaryEmail: `host${i}@example.org`, additionalEmails: [] }, jobTitle: `Role ${i}` }).id as string);
    }
    for (const [i, id] of ids.entries()) await until(async () => (await sbRow(id))?.job_title === `Role ${i}`, `${id} to reach Supabase`, 30_000);
    await h.settle(30_000);
    // An edit in Supabase comes back by its webhook and goes out to Twenty.
    await h.supabase.sql(`UPDATE contacts SET first_name = 'Edited', canonical_name = 'Edited Person' WHERE contact_id = $1`, [ids[0]]);
    await until(async () => (h.twenty.getPerson(ids[0]!)?.name as { firstName?: string } | undefined)?.firstName === 'Edited', 'the Supabase edit to reach Twenty', 30_000);
    await h.settle(30_000);
    expect((await h.hub.systems.canonical.get(ids[0]!))?.first_name).toBe('Edited');

    const takenBy = async (queue: string) => new Set((await h.queue(queue).getJobs(['completed'])).map((j) => j.processedBy));
    expect(await takenBy('contacts-inbound')).toEqual(new Set([`${hostname()}/${pidOf('host-a', 1)}`]));
    expect(await takenBy('contacts-to-supabase')).toEqual(new Set([`${hostname()}/${pidOf('host-c')}`]));
    expect(await takenBy('contacts-to-twenty')).toEqual(new Set([`${hostname()}/${pidOf('host-c')}`]));
    for (const q of ['contacts-inbound', 'contacts-to-supabase', 'contacts-to-twenty']) expect(await h.queue(q).getJobCounts('failed'), q).toEqual({ failed: 0 });
  }, 90_000);

  it('a source whose group no host serves is never collected by the coordinator: the run waits for the group, saying so', async () => {
    const nowhere = makeHost(root, 'coordinator-3', `${SELF}sources:\n  - { type: mbox, path: exports/mail.mbox, group: laptop }\n`, ['mail.mbox']);
    const r = await runKith(['sync', '--timeout', '4'], env(nowhere), 30_000);
    expect(r.stderr).toContain('waiting for worker group laptop: no process serves source-mbox@laptop (run `kith worker --group laptop` on a host that holds its files)');
    expect(r.stderr).not.toMatch(/starting workers/);
    expect(r.code).toBe(1);
    expect(await h.queue('source-mbox@laptop').getJobCounts('waiting', 'active', 'completed')).toEqual({ waiting: 1, active: 0, completed: 0 });
  }, 40_000);
});
