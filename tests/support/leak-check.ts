import { afterAll, afterEach, beforeEach } from 'vitest';
import { handlesOpenedSoFar, type OpenHandle, openHandles } from '../../src/support/open-handles.js';
import { kithProcessesStarted, runningKithProcesses } from './cli.js';

/**
 * The leak check every test file runs (vitest `setupFiles`): what a test opened — Redis clients,
 * BullMQ workers, database handles (src/support/open-handles.ts records each where it is opened
 * and closed) and `kith` processes it started — must be closed when the test ends; what a file
 * opened in `beforeAll` or at load must be closed when the file ends. A leak fails the test
 * that caused it, naming each handle and where it was opened; while the file holds something
 * open from `beforeAll`, what a test opens is judged when the file ends (a shared object may
 * connect on first use and close in `afterAll`), and the failure names the test that opened it.
 * In the unit tier (KITH_TEST_TIER=unit) a test may open none of them at all: one that does
 * belongs with the adapters or processes.
 */

type Leak = OpenHandle | string; // a handle, or a running process's description

/** Handles and processes open now. */
const openNow = (): Leak[] => [...openHandles(), ...runningKithProcesses()];
const label = (l: Leak) => (typeof l === 'string' ? `process ${l}` : `${l.kind} ${l.name}, opened at ${l.openedAt}`);

/** A handle closes a moment after the call that closes it resolves (its socket's 'end'): wait for that, briefly. */
const GRACE_MS = 2_000;

/** What is open now and not in `except`, after the grace period. */
async function stillOpen(except: Set<Leak>): Promise<Leak[]> {
  const deadline = Date.now() + GRACE_MS;
  let open = openNow().filter((l) => !except.has(l));
  while (open.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
    open = openNow().filter((l) => !except.has(l));
  }
  return open;
}

const unitTier = process.env.KITH_TEST_TIER === 'unit';
/** Open when the current test started. */
let atTestStart = new Set<Leak>();
let openedBefore = 0;
/** Opened by a test while something of the file's was open (a shared object may open lazily): judged when the file ends. */
const openedDuring = new Map<Leak, string>();
/** Reported already: not again at the end of the file. */
const reported = new Set<Leak>();

beforeEach(() => {
  atTestStart = new Set(openNow());
  openedBefore = handlesOpenedSoFar() + kithProcessesStarted();
});

afterEach(async (ctx) => {
  // A test that already failed may not have reached its own cleanup: its failure comes first.
  const failed = ctx.task.result?.state === 'fail';
  const opened = handlesOpenedSoFar() + kithProcessesStarted() - openedBefore;
  if (unitTier && opened > 0 && !failed) {
    throw new Error(`a unit test opens no connection, database or process, but this one opened ${opened}: it belongs in tests/adapters or tests/processes`);
  }
  if (atTestStart.size > 0) {
    // Something opened in beforeAll is still open: what this test opened may belong to it (a hub
    // connecting on first use) and be closed in afterAll. Noted here, judged when the file ends.
    for (const l of openNow()) if (!atTestStart.has(l) && !openedDuring.has(l)) openedDuring.set(l, ctx.task.name);
    return;
  }
  const leaked = await stillOpen(atTestStart);
  for (const l of leaked) reported.add(l);
  if (leaked.length && !failed) throw new Error(`the test left ${leaked.length} handle(s) open:\n  ${leaked.map(label).join('\n  ')}`);
});

afterAll(async () => {
  const leaked = (await stillOpen(reported)).map((l) => (openedDuring.has(l) ? `${label(l)} (opened during the test '${openedDuring.get(l)}')` : label(l)));
  if (leaked.length) throw new Error(`the test file left ${leaked.length} handle(s) open after its last test:\n  ${leaked.join('\n  ')}`);
});
