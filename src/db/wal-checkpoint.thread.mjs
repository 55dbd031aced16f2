// A worker thread that keeps one SQLite database's write-ahead log short (see wal-checkpointer.ts).
// Plain JavaScript, so the same file runs from src/ (tests, tsx) and from dist/ (copied by the build).
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, everyMs, restartFrames } = workerData;
const db = new Database(path, { fileMustExist: true });
// The checkpoint syncs the log before copying it and the database file after, as the process's
// own connections would (synchronous = NORMAL in WAL mode).
db.pragma('synchronous = NORMAL');
// How long RESTART may wait for the write lock and for readers: it holds the write lock while it
// waits for readers, so writers wait as long at most (between turns of their event loops).
db.pragma('busy_timeout = 10');

let frames = 0;
let copied = 0;
let restarts = 0;
let failures = 0;
function checkpoint() {
  try {
    // PASSIVE copies the log without taking any lock that others wait for. Under steady writes it
    // never catches up with the end of the log, so the log would only grow (and a commit would
    // one day copy hundreds of megabytes at once); once the log is `restartFrames` long, RESTART
    // copies the few frames written meanwhile under the write lock and waits for readers to
    // leave the log, so the next commit writes it from the top. Writers wait those few
    // milliseconds between turns of their event loop (BEGIN IMMEDIATE polls); when the lock or a
    // reader is not free within busy_timeout, RESTART gives up (busy = 1) until the next tick.
    // (Several processes' threads: whichever comes first restarts, the others find a short log.)
    const [p] = db.pragma('wal_checkpoint(PASSIVE)');
    frames = p.log;
    copied = p.checkpointed;
    if (p.log >= restartFrames) {
      const [r] = db.pragma('wal_checkpoint(RESTART)');
      if (r.busy === 0) restarts++;
      frames = r.log;
      copied = r.checkpointed;
    }
  } catch (err) {
    // SQLITE_BUSY (another process is checkpointing) or a transient I/O error: try again next tick.
    failures++;
    if (failures === 1 || failures % 100 === 0) parentPort.postMessage({ type: 'error', message: err.message, failures });
  }
}

const timer = setInterval(checkpoint, everyMs);
parentPort.on('message', (m) => {
  if (m === 'stop') {
    clearInterval(timer);
    checkpoint();
    db.close();
    parentPort.postMessage({ type: 'stopped' });
    parentPort.close();
  } else if (m === 'stats') parentPort.postMessage({ type: 'stats', frames, copied, restarts, failures });
});
parentPort.postMessage({ type: 'ready' });
