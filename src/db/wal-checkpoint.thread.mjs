// A worker thread that keeps one SQLite database's write-ahead log short (see wal-checkpointer.ts).
// Plain JavaScript, so the same file runs from src/ (tests, tsx) and from dist/ (copied by the build).
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, everyMs } = workerData;
const db = new Database(path, { fileMustExist: true });
// The checkpoint syncs the log before copying it and the database file after, as the process's
// own connections would (synchronous = NORMAL in WAL mode).
db.pragma('synchronous = NORMAL');
// PASSIVE never waits: it copies what no reader still needs and leaves the rest for next time.
db.pragma('busy_timeout = 0');

let frames = 0;
let copied = 0;
let failures = 0;
function checkpoint() {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    frames = r.log;
    copied = r.checkpointed;
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
    parentPort.postMessage({ type: 'stopped', frames, copied });
    parentPort.close();
  } else if (m === 'stats') parentPort.postMessage({ type: 'stats', frames, copied, failures });
});
parentPort.postMessage({ type: 'ready' });
