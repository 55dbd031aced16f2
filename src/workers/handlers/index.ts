import { hubHandlers } from './contacts.worker.js';
import type { HandlerDeps } from '../handler-deps.js';
import type { JobHandler } from '../job-handler.js';
import { maintenanceHandler } from './maintenance.worker.js';
import { syncScheduleHandler } from './sync-schedule.worker.js';
import { syncHandlers } from './sync-steps.worker.js';
import { tablesHandlers } from './tables.worker.js';

export type { HandlerDeps } from '../handler-deps.js';

/** Every queue's handler. A worker process serves a subset of these by queue name. */
export function buildHandlers(deps: HandlerDeps): JobHandler[] {
  return [maintenanceHandler(deps.db), syncScheduleHandler(deps), ...syncHandlers(deps), ...hubHandlers(deps), ...tablesHandlers(deps)];
}
