import { afterAll, afterEach, beforeEach } from 'vitest';
import { handlesOpenedSoFar, type OpenHandle, openHandles } from '../../src/support/open-handles.js';
import { kithProcessesStarted, runningKithProcesses } from './cli.js';

/**
 * The leak check every test file runs (vitest `setupFiles`): what a test opened — Redis clients,
 * BullMQ workers, database handles (src/support/open-handles.ts records each where it is opened
 * and closed) and `kith` processes it started — must be closed when the test ends; what a file
 * opened in `beforeAll` or at load must be closed when the file ends. A leak fails the test
 * that caused it, naming each handle and where it was opened.
 * In the unit tier (KITH_TEST_TIER=unit) a test may open none of them at all: one that does
 * belongs with the adapters or processes.
 */

interface Held {
  handles: Set<OpenHandle>;
  processes: Set<string>;
}

const held = (): Held => ({ handles: new Set(openHandles()), processes: new Set(runningKithProcesses()) });

/** A handle closes a moment after the call that closes it resolves (its socket's 'end'): wait for that, briefly. */
const GRACE_MS = 2_000;

async function leftOpen(since: Held | undefined, reported: Set<unknown>): Promise<string[]> {
  const leaked = () => [
    ...openHandles()
      .filter((h) => !since?.handles.has(h) && !reported.has(h))
      .map((h) => [h, `${h.kind} ${h.name}, opened at ${h.openedAt}`] as const),
    ...runningKithProcesses()
      .filter((p) => !since?.processes.has(p) && !reported.has(p))
      .map((p) => [p, `process ${p}`] as const),
  ];
  const deadline = Date.now() + GRACE_MS;
  let now = leaked();
  while (now.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
    now = leaked();
  }
  for (const [h] of now) reported.add(h);
  return now.map(([, text]) => text);
}

const reported = new Set<unknown>();
let atTestStart: Held | undefined;
const unitTier = process.env.KITH_TEST_TIER === 'unit';
let openedBefore = 0;

beforeEach(() => {
  atTestStart = held();
  openedBefore = handlesOpenedSoFar() + kithProcessesStarted();
});

afterEach(async (ctx) => {
  const opened = handlesOpenedSoFar() + kithProcessesStarted() - openedBefore;
  if (unitTier && opened > 0 && ctx.task.result?.state !== 'fail') {
    throw new Error(`a unit test opens no connection, database or process, but this one opened ${opened}: it belongs in tests/adapters or tests/processes`);
  }
  const leaked = await leftOpen(atTestStart, reported);
  // A test that already failed may not have reached its own cleanup: its failure comes first.
  if (leaked.length && ctx.task.result?.state !== 'fail') {
    throw new Error(`the test left ${leaked.length} handle(s) open:\n  ${leaked.join('\n  ')}`);
  }
});

afterAll(async () => {
  const leaked = await leftOpen(undefined, reported);
  if (leaked.length) throw new Error(`the test file left ${leaked.length} handle(s) open after its last test:\n  ${leaked.join('\n  ')}`);
});
