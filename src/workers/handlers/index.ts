import type { Db } from '../../db/db.js';
import { hubHandlers } from '../../hub/hub.worker.js';
import type { Logger } from '../../log/logger.js';
import type { JobHandler } from '../job-handler.js';
import { maintenanceHandler } from './maintenance.worker.js';
import { syncScheduleHandler } from './sync-schedule.worker.js';
import { syncHandlers } from './sync-steps.worker.js';

/** What handlers may use: built once per process. */
export interface HandlerDeps {
  db: Db;
  redisUrl: string;
  prefix: string;
  log: Logger;
  /** Register cleanup to run when the process's workers close (shared connections, …). */
  onClose?: (fn: () => Promise<void>) => void;
}

/** Every queue's handler. A worker process serves a subset of these by queue name. */
export function buildHandlers(deps: HandlerDeps): JobHandler[] {
  return [maintenanceHandler(deps.db), syncScheduleHandler(deps), ...syncHandlers(deps), ...hubHandlers(deps)];
}
