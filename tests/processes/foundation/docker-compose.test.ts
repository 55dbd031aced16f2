import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { allQueues } from '../../../src/queues/queue-registry.js';
import { freePort } from '../../../src/redis/free-port.js';
import { cliEnv, KITH_BIN, spawnKith } from '../../support/cli.js';
import { cleanupRedis, redisUrl, uniquePrefix } from '../../support/test-env.js';

const root = resolve(import.meta.dirname, '../../..');
type Service = {
  image?: string;
  command?: string[];
  env_file?: string | string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[]; disable?: boolean };
  volumes?: string[];
};
const composeText = readFileSync(resolve(root, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText, { merge: true }) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const services = Object.entries(compose.services);
const kithServices = services.filter(([, s]) => s.image === 'kith:latest');
const workerServices = kithServices.filter(([, s]) => s.command?.[0] === 'worker');

/** The queues a `kith worker` service serves: its --queues, else its KITH_WORKER_QUEUES. */
function servedQueues(s: Service): string[] {
  const i = s.command!.indexOf('--queues');
  const list = i >= 0 ? s.command![i + 1] : s.environment?.KITH_WORKER_QUEUES;
  return (list ?? '').split(',').map((q) => q.trim()).filter(Boolean);
}

/** `source:target[:mode]` of a short-syntax volume, with compose's ${VAR:-default} left as written. */
function mount(v: string): { target: string; readOnly: boolean } {
  const parts = v.replace(/\$\{[^}]*\}/g, 'VAR').split(':');
  return { target: parts[1]!, readOnly: parts[2] === 'ro' };
}

describe('docker-compose.yml', () => {
  it('every queue of the registry is served by exactly one service, each source queue by a service of its own', () => {
    const servers = new Map<string, string[]>();
    for (const [name, s] of workerServices) {
      const queues = servedQueues(s);
      // A worker with no queue list would serve every queue.
      expect(queues.length, `${name} names no queue`).toBeGreaterThan(0);
      for (const q of queues) servers.set(q, [...(servers.get(q) ?? []), name]);
    }
    const registry = allQueues().map((q) => q.name);
    for (const q of registry) expect(servers.get(q) ?? [], `services serving ${q}`).toHaveLength(1);
    expect([...servers.keys()].filter((q) => !registry.includes(q)), 'queues unknown to the registry').toEqual([]);
    for (const q of allQueues().filter((x) => x.group === 'sources')) {
      expect(servedQueues(compose.services[servers.get(q.name)![0]!]!), `the service of ${q.name}`).toEqual([q.name]);
    }
    expect(compose.services.api?.command).toEqual(['start', '--no-workers']);
  });

  it('PostgreSQL accepts a full pool (10 connections, PostgresDb.open) from every Kith service at once', () => {
    const max = Number(/max_connections=(\d+)/.exec(compose.services.postgres?.command?.join(' ') ?? '')?.[1] ?? 100);
    expect(max).toBeGreaterThanOrEqual(10 * kithServices.length);
  });

  it('has healthchecks, the env file, the BigQuery key read-only and a writable volume for the Drive notes', () => {
    for (const name of ['redis', 'postgres']) expect(compose.services[name]?.healthcheck?.test.length, name).toBeGreaterThan(0);
    // The API keeps the image's HEALTHCHECK (GET /health); workers serve no HTTP and bring their own.
    expect(compose.services.api?.healthcheck).toBeUndefined();
    const workerCheck = workerServices[0]![1].healthcheck!.test;
    for (const [name, s] of workerServices) expect(s.healthcheck?.test, name).toEqual(workerCheck);
    for (const [name, s] of kithServices) {
      expect(s.env_file, name).toBeTruthy();
      const key = (s.volumes ?? []).map(mount).find((m) => m.target === s.environment?.BIGQUERY_KEY_FILE);
      expect(key, `${name} mounts the file BIGQUERY_KEY_FILE names`).toEqual({ target: '/run/secrets/bigquery-key.json', readOnly: true });
      expect((s.volumes ?? []).map(mount), name).toContainEqual({ target: '/data', readOnly: false });
    }
    const [content] = workerServices.find(([, s]) => servedQueues(s).includes('sync-content'))!;
    expect(compose.services[content]!.volumes!.map(mount)).toContainEqual({ target: '/notes', readOnly: false });
  });

  it('.env.example documents every variable of src/config and every one docker-compose.yml reads', async () => {
    const example = readFileSync(resolve(root, '.env.example'), 'utf8');
    const names = new Set<string>();
    for (const f of readdirSync(resolve(root, 'src/config')).filter((x) => x.endsWith('.config.ts'))) {
      const mod = (await import(resolve(root, 'src/config', f))) as Record<string, unknown>;
      for (const v of Object.values(mod)) {
        const shape = (v as { shape?: Record<string, unknown> } | undefined)?.shape;
        if (shape && typeof shape === 'object') for (const k of Object.keys(shape)) names.add(k);
      }
    }
    expect(names).toContain('KITH_DATA_DIR');
    for (const m of composeText.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)) names.add(m[1]!);
    expect([...names].filter((n) => !new RegExp(`\\b${n}\\b`).test(example)), 'variables .env.example does not mention').toEqual([]);
  });

  it('Redis keeps every key (noeviction, AOF everysec)', () => {
    const conf = readFileSync(resolve(root, 'redis/redis.conf'), 'utf8');
    expect(conf).toMatch(/^maxmemory-policy noeviction$/m);
    expect(conf).toMatch(/^appendonly yes$/m);
    expect(conf).toMatch(/^appendfsync everysec$/m);
  });

  it('the workers’ healthcheck passes while a kith worker serves its queues and fails otherwise', async () => {
    const [, , flag, script] = workerServices[0]![1].healthcheck!.test;
    const prefix = uniquePrefix();
    const dir = mkdtempSync(join(tmpdir(), 'kith-compose-'));
    const env = { REDIS_URL: redisUrl(), KITH_QUEUE_PREFIX: prefix, KITH_DATA_DIR: dir };
    const check = (queues: string) => spawnSync(process.execPath, [flag!, script!], { cwd: root, env: cliEnv({ ...env, KITH_WORKER_QUEUES: queues }), timeout: 20_000 }).status;
    const worker = spawn(process.execPath, [KITH_BIN, 'worker'], { env: cliEnv({ ...env, KITH_WORKER_QUEUES: 'source-mbox,sync-content' }), stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise((res) => worker.on('exit', res));
    try {
      expect(check('source-mbox')).toBe(1);
      await new Promise<void>((res, rej) => {
        let err = '';
        worker.stderr!.on('data', (d: Buffer) => {
          err += d;
          if (err.includes('kith worker: serving')) res();
        });
        worker.on('exit', (code) => rej(new Error(`kith worker exited with ${code}: ${err}`)));
      });
      expect(check('source-mbox,sync-content')).toBe(0);
      expect(check('source-mbox,source-ics')).toBe(1);
      expect(check('')).toBe(1);
    } finally {
      worker.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
    expect(check('source-mbox')).toBe(1);
    await cleanupRedis(prefix);
  }, 60_000);

  const cli = composeCli();
  it.runIf(cli)('passes `compose config -q` with .env.example as its env file, and demands KITH_ADMIN_PASSWORD', () => {
    const run = (extra: Record<string, string>) => {
      const env: NodeJS.ProcessEnv = { ...process.env, KITH_ENV_FILE: '.env.example', ...extra };
      if (!extra.KITH_ADMIN_PASSWORD) delete env.KITH_ADMIN_PASSWORD;
      return spawnSync(cli![0]!, [...cli!.slice(1), '--env-file', '.env.example', 'config', '-q'], { cwd: root, env, encoding: 'utf8' });
    };
    const ok = run({ KITH_ADMIN_PASSWORD: 'a-long-password' });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const refused = run({});
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('KITH_ADMIN_PASSWORD');
  });
});

describe('Dockerfile', () => {
  // Continuation lines joined, comments dropped.
  const lines = readFileSync(resolve(root, 'Dockerfile'), 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: Array<{ from: string; name?: string; lines: string[] }> = [];
  for (const l of lines) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(l);
    if (from) stages.push({ from: from[1]!, name: from[2], lines: [] });
    else stages.at(-1)?.lines.push(l);
  }
  const runtime = stages.at(-1)!;
  const instr = (word: string) => runtime.lines.filter((l) => l.toUpperCase().startsWith(`${word} `));

  it('builds in stages on a Node LTS image (an even major, 22 or later)', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const images = stages.map((s) => s.from).filter((f) => !stages.some((t) => t.name === f));
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) {
      const major = Number(/^node:(\d+)[-.]/.exec(image)?.[1]);
      expect(major, image).toBeGreaterThanOrEqual(22);
      expect(major % 2, `${image} is not an LTS line`).toBe(0);
    }
    expect(stages.some((s) => s.lines.some((l) => /^RUN .*npm run build/.test(l))), 'a stage runs npm run build').toBe(true);
    expect(images).toContain(runtime.from);
  });

  it('ships package.json (ES modules), bin, dist and the src it is stamped against, without dev dependencies', () => {
    const copies = instr('COPY').join('\n');
    for (const p of ['package.json', 'bin', 'dist', 'src', 'examples', 'node_modules']) expect(copies, p).toMatch(new RegExp(`\\b${p}\\b`));
    expect(stages.some((s) => s.lines.some((l) => /npm ci .*--omit=dev/.test(l)))).toBe(true);
  });

  it('runs as a user other than root that owns its data volume, with a HEALTHCHECK', () => {
    const user = instr('USER');
    expect(user).toHaveLength(1);
    expect(user[0]).not.toMatch(/^USER\s+(root|0)(:|$)/);
    const volume = instr('VOLUME');
    expect(volume).toHaveLength(1);
    const dataDir = JSON.parse(volume[0]!.slice('VOLUME'.length)) as string[];
    const chown = runtime.lines.findIndex((l) => /^RUN .*chown\s+node:node\b/.test(l) && dataDir.every((d) => l.includes(d)));
    expect(chown, 'the data directory is created and given to the user').toBeGreaterThanOrEqual(0);
    expect(chown).toBeLessThan(runtime.lines.indexOf(volume[0]!));
    expect(runtime.lines.join('\n')).toMatch(new RegExp(`KITH_DATA_DIR=${dataDir[0]}\\b`));
    expect(instr('HEALTHCHECK')).toHaveLength(1);
  });

  it('its HEALTHCHECK passes while `kith start` answers /health and fails once it has stopped', async () => {
    const cmd = JSON.parse(/CMD\s+(\[.*\])$/.exec(instr('HEALTHCHECK')[0]!)![1]!) as string[];
    expect(cmd[0]).toBe('node');
    const prefix = uniquePrefix();
    const dir = mkdtempSync(join(tmpdir(), 'kith-image-'));
    writeFileSync(join(dir, 'kith.config.yaml'), 'sources: []\n');
    const port = String(await freePort());
    const env = { REDIS_URL: redisUrl(), KITH_QUEUE_PREFIX: prefix, KITH_DATA_DIR: dir, KITH_PORT: port, KITH_CONFIG: join(dir, 'kith.config.yaml'), KITH_SHUTDOWN_GRACE_MS: '1000' };
    const check = () => spawnSync(process.execPath, cmd.slice(1), { cwd: root, env: cliEnv({ KITH_PORT: port }), timeout: 20_000 }).status;
    const k = spawnKith(['start', '--no-workers'], env, 'Press Ctrl-C to stop.');
    try {
      await k.started;
      expect(check()).toBe(0);
    } finally {
      k.child.kill('SIGTERM');
      await k.exited;
      rmSync(dir, { recursive: true, force: true });
    }
    expect(check()).toBe(1);
    await cleanupRedis(prefix);
  }, 60_000);
});

function composeCli(): string[] | undefined {
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) return ['docker', 'compose'];
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) return ['docker-compose'];
  return undefined;
}
