import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pidLock, tryPidLock } from '../../../src/support/pid-lock.js';

const PID_LOCK = resolve(import.meta.dirname, '../../../src/support/pid-lock.ts');
const deadPid = () => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);

describe('pid lock files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kith-pid-lock-'));
  const file = join(dir, 'x.lock');
  afterEach(() => rmSync(file, { force: true }));

  it('holds the taker pid, refuses while it lives, and is gone once released', () => {
    const { lock } = tryPidLock(file);
    expect(readFileSync(file, 'utf8')).toBe(String(process.pid));
    expect(tryPidLock(file)).toEqual({ holder: process.pid });
    lock!.release();
    expect(existsSync(file)).toBe(false);
  });

  it('recovers a lock naming this process that this process never took (a restarted container reuses pids)', () => {
    writeFileSync(file, String(process.pid));
    const { lock } = tryPidLock(file);
    expect(lock).toBeDefined();
    expect(tryPidLock(file)).toEqual({ holder: process.pid });
    lock!.release();
    expect(existsSync(file)).toBe(false);
  });

  it('recovers a lock whose holder is dead', () => {
    writeFileSync(file, String(deadPid()));
    const { lock } = tryPidLock(file);
    expect(lock).toBeDefined();
    expect(readFileSync(file, 'utf8')).toBe(String(process.pid));
    lock!.release();
  });

  it('waits for a live holder, then names it when the wait runs out', async () => {
    const sleeper = spawn('sleep', ['30']);
    try {
      writeFileSync(file, String(sleeper.pid));
      await expect(pidLock(file, 300, 'starting x')).rejects.toThrow(`starting x: process ${sleeper.pid} still holds ${file} after 300 ms`);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('lets exactly one of many processes take a stale lock at the same moment', async () => {
    writeFileSync(file, String(deadPid()));
    const go = join(dir, 'go');
    const done = join(dir, 'done');
    const script = `
      import { existsSync } from 'node:fs';
      const { tryPidLock } = await import(${JSON.stringify(PID_LOCK)});
      const waitFor = async (f) => { while (!existsSync(f)) await new Promise((r) => setTimeout(r, 5)); };
      process.stdout.write('ready ');
      await waitFor(${JSON.stringify(go)});
      const { lock } = tryPidLock(${JSON.stringify(file)});
      process.stdout.write(lock ? 'took' : 'refused');
      await waitFor(${JSON.stringify(done)}); // the winner holds it while the others try
    `;
    const children = Array.from({ length: 6 }, () => spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] }));
    const outs = children.map(() => '');
    children.forEach((c, i) => c.stdout!.on('data', (d: Buffer) => (outs[i] += d)));
    const exited = children.map((c) => new Promise((res) => c.on('exit', res)));
    const deadline = Date.now() + 20_000;
    const waitUntil = async (cond: () => boolean) => {
      while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    };
    await waitUntil(() => outs.every((o) => o.startsWith('ready ')));
    writeFileSync(go, '');
    await waitUntil(() => outs.every((o) => /took|refused/.test(o)));
    writeFileSync(done, '');
    await Promise.all(exited);
    rmSync(go);
    rmSync(done);
    const results = outs.map((o) => o.replace('ready ', ''));
    expect(results.filter((r) => r === 'took')).toHaveLength(1);
    expect(results.filter((r) => r === 'refused')).toHaveLength(5);
  }, 30_000);
});
