import { z } from 'zod';
import type { Db } from '../../db/db.js';
import { defineHandler } from '../job-handler.js';

/** Daily housekeeping: sync logs and finished runs older than the retention window go. */
export function maintenanceHandler(db: Db, retentionDays = 30) {
  return defineHandler({
    queue: 'maintenance',
    schema: z.object({ task: z.literal('prune'), retentionDays: z.number().int().min(1).optional() }),
    async handle(data, { log }) {
      const cutoff = Date.now() - (data.retentionDays ?? retentionDays) * 24 * 3600 * 1000;
      const logs = await db.run('DELETE FROM sync_logs WHERE created_at < ?', [cutoff]);
      const runs = await db.run(`DELETE FROM sync_runs WHERE finished_at IS NOT NULL AND finished_at < ?`, [cutoff]);
      log.info({ logs: logs.changes, runs: runs.changes }, 'pruned old sync logs and runs');
      return { prunedLogs: logs.changes, prunedRuns: runs.changes };
    },
  });
}
