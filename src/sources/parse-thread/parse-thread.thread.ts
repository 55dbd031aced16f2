import { parentPort, workerData } from 'node:worker_threads';
import { interactionsFromEvent } from '../../domain/people/interaction-rules.js';
import { loadParser } from '../registry.js';
import type { SourceEvent } from '../source-event.js';
import { describeError, type ThreadEvent, type ThreadJob, type ThreadMessage } from './protocol.js';

/** Body of the parse thread: runs one source's parser and posts its events in order. */
const job = workerData as ThreadJob;
const port = parentPort!;
let credits = job.window;
let wake: (() => void) | undefined;
port.on('message', (n: number) => {
  credits += n;
  wake?.();
});

function prepared(ev: SourceEvent): ThreadEvent {
  if (!job.plan || ev.kind !== 'interaction') return ev;
  return { kind: 'planned', externalId: ev.externalId, planned: interactionsFromEvent(ev, job.plan.self, job.plan.region) };
}

async function send(events: ThreadEvent[]): Promise<void> {
  while (credits <= 0) await new Promise<void>((resolve) => (wake = resolve));
  wake = undefined;
  credits--;
  port.postMessage({ events } satisfies ThreadMessage);
}

try {
  const parser = await loadParser(job.type);
  let batch: ThreadEvent[] = [];
  for await (const ev of parser.parse(job.input)) {
    batch.push(prepared(ev));
    if (batch.length >= job.batch) {
      await send(batch);
      batch = [];
    }
  }
  if (batch.length) await send(batch);
  port.postMessage({ done: true } satisfies ThreadMessage);
} catch (err) {
  port.postMessage({ error: describeError(err) } satisfies ThreadMessage);
}
