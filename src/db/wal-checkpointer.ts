import { Worker } from 'node:worker_threads';
import { handleClosed, handleOpened } from '../support/open-handles.js';

/**
 * Checkpoints of a SQLite database's write-ahead log, off the event loop. SQLite otherwise runs a
 * checkpoint inside whichever COMMIT pushes the log past `wal_autocheckpoint` pages, and
 * better-sqlite3 is synchronous: that process's event loop stops for the whole copy (340 ms
 * measured in a hub worker at 200 webhooks/s, every job in it waiting). Here a worker thread with
 * its own connection runs a PASSIVE checkpoint every `everyMs` (it copies what no reader still
 * needs and waits for nobody), then, once the log is `restartFrames` long, a RESTART (see the
 * thread) so the next commit writes the log from the top: the log stays a few megabytes and
 * commits never checkpoint.
 * Several processes may each run one; a checkpoint that finds another running skips a turn.
 */
export interface WalCheckpointer {
  /** The last checkpoint's view: frames in the log and how many of them are in the database file. */
  stats(): Promise<{ frames: number; copied: number; restarts: number; failures: number }>;
  /** A last checkpoint, then the thread ends. */
  stop(): Promise<void>;
}

type ThreadMessage = { type: 'ready' | 'stopped' } | { type: 'stats'; frames: number; copied: number; restarts: number; failures: number } | { type: 'error'; message: string; failures: number };

export interface WalCheckpointOptions {
  /** How often to checkpoint (default 5 s: fewer syncs; the log then holds at most a few seconds of commits). */
  everyMs?: number;
  /** The log is started from the top again once it is this many frames (pages) long (default 1,000: 4 MB). */
  restartFrames?: number;
  onError?: (message: string) => void;
}

export function startWalCheckpointer(path: string, opts: WalCheckpointOptions = {}): WalCheckpointer {
  const worker = new Worker(new URL('./wal-checkpoint.thread.mjs', import.meta.url), { workerData: { path, everyMs: opts.everyMs ?? 5000, restartFrames: opts.restartFrames ?? 1000 } });
  // Never what keeps a process alive.
  worker.unref();
  let exited = false;
  const handle = handleOpened('database thread', `WAL checkpoints of ${path}`);
  const exit = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      handleClosed(handle);
      resolve();
    }),
  );
  void exit.then(() => (exited = true));
  const waiters: ((m: ThreadMessage) => void)[] = [];
  worker.on('message', (m: ThreadMessage) => {
    if (m.type === 'error') opts.onError?.(`checkpointing ${path} failed (${m.failures} time(s) so far): ${m.message}`);
    else waiters.shift()?.(m);
  });
  worker.on('error', (err) => opts.onError?.(`the checkpoint thread for ${path} stopped: ${err.message}`));
  const ask = (msg: string) =>
    new Promise<ThreadMessage | undefined>((resolve) => {
      if (exited) return resolve(undefined);
      waiters.push(resolve);
      void exit.then(() => resolve(undefined));
      worker.postMessage(msg);
    });
  // The first message is 'ready'.
  waiters.push(() => undefined);
  return {
    async stats() {
      const m = await ask('stats');
      return m?.type === 'stats' ? { frames: m.frames, copied: m.copied, restarts: m.restarts, failures: m.failures } : { frames: 0, copied: 0, restarts: 0, failures: 0 };
    },
    async stop() {
      if (exited) return;
      const timer = setTimeout(() => void worker.terminate(), 5_000);
      worker.postMessage('stop');
      await exit;
      clearTimeout(timer);
    },
  };
}
