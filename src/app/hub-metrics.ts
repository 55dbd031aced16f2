import { Gauge, type Registry } from 'prom-client';
import type { SystemName } from '../hub/domain/canonical-contact.js';
import type { Queryable } from '../db/db.js';
import { hubStatus, type SystemStatus } from '../hub/services/hub-status.service.js';
import { perScrape } from '../http/routes/metrics.route.js';

const GAUGES: [name: string, help: string, value: (s: SystemStatus) => number | null][] = [
  ['kith_contacts_pending', 'Contact changes not yet written to the system.', (s) => s.pending],
  ['kith_contacts_oldest_pending_seconds', 'Age of the oldest change not yet written to the system.', (s) => s.oldest_pending_age_s ?? 0],
  ['kith_contacts_open_conflicts', 'Open sync conflicts involving the system.', (s) => s.open_conflicts],
  ['kith_contacts_errors', 'Sweep failures in a row plus failing pending pushes.', (s) => s.errors],
  ['kith_contacts_drift_percent', 'Share of contacts whose copy differs from canonical (last measurement).', (s) => s.drift_pct],
  ['kith_contacts_last_success_timestamp_seconds', 'Last successful sweep or push.', (s) => (s.last_success ? Date.parse(s.last_success) / 1000 : null)],
];

/**
 * The contact hub's gauges per system (labels `system`, `role`), read from the database when
 * /metrics is scraped: one status query serves all of them. A value not known yet (no drift
 * measured, never succeeded) is left out rather than exported as 0.
 */
export function hubMetrics(q: Queryable, systems: { canonical: SystemName; targets: readonly SystemName[] }): (registry: Registry) => void {
  return (registry) => {
    const status = perScrape(() => hubStatus(q, systems));
    for (const [name, help, value] of GAUGES) {
      new Gauge({
        name,
        help,
        labelNames: ['system', 'role'],
        registers: [registry],
        async collect() {
          const list = await status();
          this.reset();
          for (const s of list) {
            const v = value(s);
            if (v != null) this.set({ system: s.system, role: s.role }, v);
          }
        },
      });
    }
  };
}
