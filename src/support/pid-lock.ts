import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';

/** True when a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid written in a lock file, or undefined when it is missing, empty or unreadable. */
export function lockHolder(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function createExclusive(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, String(process.pid));
  } finally {
    closeSync(fd);
  }
  return true;
}

const ageMs = (file: string): number => {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return Infinity;
  }
};

/**
 * Remove `file` if the process it names is dead (or it has stayed empty for a second: its
 * writer died between creating and writing it). Breaking is itself exclusive, through
 * `<file>.break`, so two processes that both find the same dead holder cannot each remove a
 * lock the other has just taken.
 */
/** Lock files this process holds: one naming our pid that is not here was left by an earlier process that had it. */
const held = new Set<string>();
const heldByUs = (file: string) => held.has(file);

function breakIfStale(file: string): void {
  const breaker = `${file}.break`;
  if (!createExclusive(breaker)) {
    if (ageMs(breaker) > 5000) rmSync(breaker, { force: true }); // a breaker that died mid-break
    return;
  }
  try {
    const holder = lockHolder(file);
    const stale = holder === undefined ? ageMs(file) > 1000 : holder === process.pid ? !heldByUs(file) : !processAlive(holder);
    if (stale) rmSync(file, { force: true });
  } finally {
    rmSync(breaker, { force: true });
  }
}

export interface PidLock {
  readonly file: string;
  release(): void;
}

/**
 * Take the lock file `file` (created with O_EXCL, holding this process's pid) without waiting.
 * Returns no lock and the holder's pid when a live process holds it; a lock left by a dead
 * process (or naming this process's pid without this process having taken it) is recovered.
 */
export function tryPidLock(file: string): { lock?: PidLock; holder?: number } {
  for (let i = 0; i < 3; i++) {
    if (createExclusive(file)) {
      held.add(file);
      return {
        lock: {
          file,
          release() {
            if (!held.delete(file)) return;
            if (lockHolder(file) === process.pid) rmSync(file, { force: true });
          },
        },
      };
    }
    const holder = lockHolder(file);
    // Our own pid counts as live only for a lock this process took (a restarted container gets
    // the same pid as the one that left the file behind).
    if (holder !== undefined && (holder === process.pid ? heldByUs(file) : processAlive(holder))) return { holder };
    breakIfStale(file);
  }
  return { holder: lockHolder(file) };
}

/** Take the lock file `file`, waiting while a live process holds it (up to `timeoutMs`). */
export async function pidLock(file: string, timeoutMs: number, what: string): Promise<PidLock> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { lock, holder } = tryPidLock(file);
    if (lock) return lock;
    if (Date.now() > deadline) throw new Error(`${what}: process ${holder ?? '?'} still holds ${file} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
