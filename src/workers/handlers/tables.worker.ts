import type { Db } from '../../db/db.js';
import type { Logger } from '../../log/logger.js';
import { TABLES_QUEUE, tablesJobData } from '../../tables/jobs/table-queues.js';
import type { TableSync } from '../../tables/open-table-sync.js';
import { defineHandler, type JobHandler } from '../job-handler.js';

/**
 * The table sync's handler: runs and single-record jobs. Notion's SDK and the mapped tables are
 * loaded on the first job, so a worker serving other queues never loads them.
 */
export function tablesHandlers(deps: { db: Db; redisUrl: string; prefix: string; log: Logger; onClose?: (fn: () => Promise<void>) => void }): JobHandler[] {
  let sync: Promise<TableSync> | undefined;
  const open = () => {
    sync ??= import('../../tables/open-table-sync.js')
      .then(({ openTableSync }) => {
        const s = openTableSync(deps);
        deps.onClose?.(() => s.close());
        return s;
      })
      .catch((err) => {
        sync = undefined;
        throw err;
      });
    return sync;
  };
  return [
    defineHandler({
      queue: TABLES_QUEUE,
      schema: tablesJobData,
      async handle(data) {
        const [{ deps: d }, { runTablesJob }] = await Promise.all([open(), import('../../tables/services/table-jobs.service.js')]);
        const reports = await runTablesJob(d, data);
        return reports.map((r) => ({ table: r.table, kind: r.kind, aborted: r.aborted, notion: r.notion, supabase: r.supabase, conflicts: r.conflicts.length, failed: r.failed.length }));
      },
    }),
  ];
}
