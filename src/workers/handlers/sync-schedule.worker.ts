import { z } from 'zod';
import { startSyncRun } from '../../flows/start-run.js';
import { PIPELINE_QUEUE } from '../../sync/pipeline-queues.js';
import { loadKithConfig, resolveConfigPath } from '../../sync/kith-config.js';
import { defineHandler } from '../job-handler.js';
import type { HandlerDeps } from '../handler-deps.js';

/** The daily job scheduler's job: start one run of the DAG (joined, not doubled, if one runs). */
export function syncScheduleHandler(deps: HandlerDeps) {
  return defineHandler({
    queue: PIPELINE_QUEUE.schedule,
    schema: z.object({ kind: z.string().default('daily') }),
    async handle(data, { log }) {
      const config = loadKithConfig(resolveConfigPath().file);
      const r = await startSyncRun({ db: deps.db, redisUrl: deps.redisUrl, prefix: deps.prefix, config, kind: data.kind });
      log.info({ runId: r.runId, existing: r.existing }, r.existing ? 'a sync run was already in progress' : 'scheduled sync run started');
      return { runId: r.runId, existing: r.existing };
    },
  });
}
