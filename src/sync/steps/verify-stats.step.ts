import { verifyStats } from '../../people/stats.service.js';
import { PIPELINE_QUEUE } from '../pipeline-queues.js';
import { defineStep } from './step-declaration.js';

/**
 * Phase 4: the safety net of the cached counts — repair and report. A discrepancy here means a
 * write path forgot its counts: a bug worth a loud log line, not a failed run.
 */
export const verifyStatsStep = defineStep({
  name: 'verify-stats',
  phase: 4,
  queue: PIPELINE_QUEUE.verify,
  failurePolicy: 'fail-run',
  dependsOn: () => ['strengths'],
  async run({ db, log }) {
    const r = await verifyStats(db, { fix: true });
    if (r.discrepancies.length) log.error({ discrepancies: r.discrepancies.length }, 'verify found and repaired count discrepancies');
    const found = r.discrepancies.length;
    return {
      records: r.checkedPeople,
      result: { checkedPeople: r.checkedPeople, discrepancies: found, fixed: r.fixed },
      counts: { updated: r.fixed, unchanged: Math.max(0, r.checkedPeople - found), failed: Math.max(0, found - r.fixed) },
    };
  },
});
