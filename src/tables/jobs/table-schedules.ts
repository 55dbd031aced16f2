import type { ScheduleSpec } from '../../producers/schedules.producer.js';
import type { TableMapping } from '../config/tables-config.js';
import { TABLES_QUEUE, type TablesJobData } from './table-queues.js';

/**
 * Each mapped table's repeatable jobs: an incremental run every `every` (default 5 minutes),
 * which catches whatever a webhook missed, and a full run every `full_every` (default an hour),
 * which also finds pages trashed in Notion and repairs mismatches.
 */
export function tableSchedules(tables: readonly TableMapping[]): ScheduleSpec[] {
  return tables.flatMap((t) => {
    const inc: TablesJobData = { kind: 'run', tables: [t.name], full: false, force: false };
    const full: TablesJobData = { kind: 'run', tables: [t.name], full: true, force: false };
    return [
      { id: `tables-${t.name}`, queue: TABLES_QUEUE, everyMs: t.everyMs, jobName: `sync ${t.name}`, data: inc },
      { id: `tables-${t.name}-full`, queue: TABLES_QUEUE, everyMs: t.fullEveryMs, jobName: `full sync ${t.name}`, data: full },
    ];
  });
}
