import { readdirSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKith, spawnKith } from '../../support/cli.js';
import { cleanupRedis, redisClientsNamed, redisUrl, uniquePrefix } from '../../support/test-env.js';

interface Report {
  runId: string;
  status: string;
  people: number;
  interactions: number;
  relationships: number;
}

const MESSAGES = 30_000;
const PEOPLE = 300;

/** An mbox big enough that collecting it takes seconds: MESSAGES messages among PEOPLE people. */
function writeExports(dir: string): string {
  const email = (i: number) => `person${i}@example.org`;
  const t0 = Date.UTC(2020, 0, 1);
  const parts: string[] = [];
  for (let m = 0; m < MESSAGES; m++) {
    const a = (m * 7919) % PEOPLE;
    const b = (a + 1 + (m % 5)) % PEOPLE;
    const d = new Date(t0 + m * 60_000).toUTCString().replace('GMT', '+0000');
    parts.push(`From ${email(a)} ${d}\nMessage-ID: <m${m}@follow.kith>\nFrom: Person ${a} <${email(a)}>\nTo: Me <me@example.com>\nCc: Person ${b} <${email(b)}>\nDate: ${d}\nSubject: note ${m}\n\nhello\n\n`);
  }
  writeFileSync(join(dir, 'mail.mbox'), parts.join(''));
  const config = join(dir, 'kith.config.yaml');
  writeFileSync(config, 'self: { emails: [me@example.com] }\nsources:\n  - { type: mbox, path: mail.mbox }\n');
  return config;
}

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!) as Report;
const counts = (r: Report) => ({ people: r.people, interactions: r.interactions, relationships: r.relationships });

async function until(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The `kith worker` children of `parent` serving `queue` (from /proc). */
function workerPids(parent: number, queue: string): number[] {
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${e}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1]);
      const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      const q = argv.indexOf('--queues');
      if (ppid === parent && argv.includes('worker') && q >= 0 && argv[q + 1]!.split(',').includes(queue)) pids.push(Number(e));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

/** `kith sync` started in the background; its progress lines come on stderr. */
function backgroundSync(args: string[], env: Record<string, string>) {
  const k = spawnKith(['sync', ...args], env, 'never printed', 120_000);
  k.started.catch(() => undefined); // it exits instead: `exited` tells how
  return k;
}

describe('kith sync: resuming, following and watching a run', () => {
  const root = mkdtempSync(join(tmpdir(), 'kith-follow-'));
  let config = '';
  let clean: Report;
  const prefixes: string[] = [];
  const envFor = (name: string, extra: Record<string, string> = {}) => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    return { KITH_CONFIG: config, KITH_DATA_DIR: join(root, name), REDIS_URL: redisUrl(), KITH_QUEUE_PREFIX: prefix, ...extra };
  };

  beforeAll(async () => {
    config = writeExports(root);
    const r = await runKith(['sync', '--json'], envFor('clean'), 120_000);
    expect(r.code, r.stderr).toBe(0);
    clean = lastJson(r.stdout);
    expect(counts(clean)).toEqual({ people: PEOPLE, interactions: 2 * MESSAGES, relationships: PEOPLE });
  }, 150_000);

  afterAll(async () => {
    for (const p of prefixes) {
      expect(await redisClientsNamed(p)).toEqual([]); // every worker process started is gone
      await cleanupRedis(p);
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('a second kith sync resumes a run whose kith sync was stopped mid-collection, and finishes it', async () => {
    // Embedded Redis (no REDIS_URL): the data directory's own server keeps the run's jobs (AOF).
    const env = { KITH_CONFIG: config, KITH_DATA_DIR: join(root, 'resumed'), KITH_SHUTDOWN_GRACE_MS: '300' };
    const first = backgroundSync([], env);
    await until('collection to start', () => /collect:mbox\s+running/.test(first.output().stderr));
    await new Promise((r) => setTimeout(r, 800)); // some messages in, most not
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(130);
    const runId = /started (run-[\w-]+)/.exec(first.output().stderr)![1];
    expect(first.output().stderr).not.toMatch(/collect:mbox\s+succeeded/);

    const second = await runKith(['sync', '--json', '--timeout', '60'], env, 90_000);
    expect(second.code, second.stderr).toBe(0);
    const resumed = lastJson(second.stdout);
    expect(resumed.runId).toBe(runId);
    expect(resumed.status).toBe('succeeded');
    expect(counts(resumed)).toEqual(counts(clean));
  }, 120_000);

  it('a worker process killed during the run is started again, and the run completes', async () => {
    // A short job lock: the killed worker's job is found stalled and runs again within seconds.
    const env = envFor('killed-worker', { KITH_JOB_LOCK_MS: '2000' });
    const sync = backgroundSync(['--timeout', '90'], env);
    await until('collection to start', () => /collect:mbox\s+running/.test(sync.output().stderr));
    const [victim] = workerPids(sync.child.pid!, 'source-mbox');
    expect(victim).toBeGreaterThan(0);
    process.kill(victim!, 'SIGKILL');
    expect(await sync.exited).toBe(0);
    const { stdout, stderr } = sync.output();
    expect(stderr).toMatch(/the worker process for source-mbox exited with signal SIGKILL: started it again \(restart 1 of 3\)/);
    expect(stdout).toMatch(/Run run-[\w-]+: succeeded/);
    expect(stdout).toContain(`people ${clean.people}, interactions ${clean.interactions}, relationships ${clean.relationships}`);
  }, 120_000);

  it('gives up on a worker process that keeps dying: three restarts, then it fails naming the queues and the exit', async () => {
    // The default job lock (minutes): the killed job stays locked, so the run cannot end meanwhile.
    const env = envFor('dying-worker');
    const sync = backgroundSync(['--timeout', '90'], env);
    await until('collection to start', () => /collect:mbox\s+running/.test(sync.output().stderr));
    const killed = new Set<number>();
    for (let kill = 1; kill <= 4; kill++) {
      let pid: number | undefined;
      await until(`worker process ${kill}`, () => (pid = workerPids(sync.child.pid!, 'source-mbox').find((p) => !killed.has(p))) !== undefined);
      killed.add(pid!);
      process.kill(pid!, 'SIGKILL');
      if (kill < 4) await until(`restart ${kill}`, () => sync.output().stderr.includes(`(restart ${kill} of 3)`));
    }
    expect(await sync.exited).toBe(1);
    expect(sync.output().stderr).toContain('kith: the worker process for source-mbox exited with signal SIGKILL after 3 restart(s): giving up');
  }, 120_000);

  it('a follower serves the run itself once the kith sync that started it has gone, its embedded Redis too', async () => {
    // Embedded Redis: the follower shares the owner's server, which stops with the owner.
    const env = { KITH_CONFIG: config, KITH_DATA_DIR: join(root, 'owner-gone'), KITH_SHUTDOWN_GRACE_MS: '300' };
    const owner = backgroundSync([], env);
    await until('collection to start', () => /collect:mbox\s+running/.test(owner.output().stderr));
    const runId = /started (run-[\w-]+)/.exec(owner.output().stderr)![1];
    const follower = backgroundSync(['--timeout', '200'], env);
    await until('the follower to follow', () => follower.output().stderr.includes(`already in progress (${runId}): following it`));
    owner.child.kill('SIGINT');
    expect(await owner.exited).toBe(130);
    expect(await follower.exited).toBe(0);
    const { stdout, stderr } = follower.output();
    expect(stderr).toContain('the Kith process whose embedded Redis this one shared has stopped: running it here now (unix://');
    expect(stderr).toMatch(/no process has served [\w-, ]+ for 3 s \(the process that served them has gone\): starting workers for them/);
    expect(stdout).toContain(`Run ${runId}: succeeded`);
    expect(stdout).toContain(`people ${clean.people}, interactions ${clean.interactions}, relationships ${clean.relationships}`);
  }, 240_000);
});
