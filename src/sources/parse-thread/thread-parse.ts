import { Worker } from 'node:worker_threads';
import type { CollectionSourceType } from '../registry.js';
import type { ParseInput } from '../source-event.js';
import { type PlanOnThread, rebuildError, type ThreadEvent, type ThreadJob, type ThreadMessage } from './protocol.js';

const ENTRY = new URL('./parse-thread.thread.mjs', import.meta.url);
let running = 0;

/** Parse threads of this process that have started and not yet exited. */
export function activeParseThreads(): number {
  return running;
}

export interface ThreadParseOptions {
  /** Events per message (default 1000). */
  batch?: number;
  /** Batches the thread may send ahead of the reader (default 8). */
  window?: number;
  /** Plan interaction events on the thread for this self and region (PlannedEvent instead). */
  plan?: PlanOnThread;
}

/**
 * A source's parser run on a worker thread, its events yielded here in the same order. Parsing
 * then overlaps with what the reader does with the events (resolving people, writing, and
 * waiting for the database's write lock). With `plan`, interaction events arrive already
 * planned (PlannedEvent), which moves the interaction rules off the reader too. Errors keep their
 * class and message; stopping early (break, throw, abort) terminates the thread.
 */
export async function* parseInThread(type: CollectionSourceType, input: ParseInput, opts: ThreadParseOptions = {}): AsyncGenerator<ThreadEvent> {
  const job: ThreadJob = { type, input, batch: opts.batch ?? 1000, window: opts.window ?? 8, ...(opts.plan ? { plan: opts.plan } : {}) };
  // The thread holds at most `window × batch` events; its heap is bounded like the worker process's.
  const worker = new Worker(ENTRY, { workerData: job, resourceLimits: { maxOldGenerationSizeMb: 256 } });
  running++;
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      running--;
      resolve();
    }),
  );
  const inbox: ThreadMessage[] = [];
  let wake: (() => void) | undefined;
  const deliver = (m: ThreadMessage) => {
    inbox.push(m);
    wake?.();
  };
  worker.on('message', deliver);
  worker.on('error', (err) => deliver({ error: { name: err.name, message: `parse thread for ${type} failed: ${err.message}` } }));
  const onExit = (code: number) => deliver({ error: { name: 'Error', message: `parse thread for ${type} exited (code ${code}) before finishing ${input.path}` } });
  worker.on('exit', onExit);
  try {
    for (;;) {
      while (inbox.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      const m = inbox.shift()!;
      if ('events' in m) {
        worker.postMessage(1);
        yield* m.events;
      } else if ('done' in m) return;
      else throw rebuildError(m.error);
    }
  } finally {
    worker.off('exit', onExit);
    await worker.terminate();
    await exited;
  }
}
