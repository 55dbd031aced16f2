import type { Db } from '../db/db.js';
import type { Logger } from '../log/logger.js';

/** What handlers may use: built once per process. */
export interface HandlerDeps {
  db: Db;
  redisUrl: string;
  prefix: string;
  log: Logger;
  /** Register cleanup to run when the process's workers close (shared connections, …). */
  onClose?: (fn: () => Promise<void>) => void;
}
