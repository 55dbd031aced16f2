import type { CanonicalContact, SystemName } from '../domain/canonical-contact.js';
import type { SystemContact } from '../ports/contact-system.js';
import { findLinkByExternalId } from '../stores/contact-links.store.js';
import type { Queryable } from '../../db/db.js';
import { driftReport, type SystemDrift } from '../domain/drift-report.js';
import { listSyncState, recordSuccess, saveCursor } from '../../sync/sync-state.store.js';
import type { Hub } from '../hub-context.js';

const MAX_PAGES = 1_000_000;
/** Alert when a system's drift is above 5 %. */
export const DRIFT_ALERT_PCT = 5;
export const driftStateKey = (system: SystemName) => `contacts-drift:${system}`;

export interface StoredDrift {
  system: SystemName;
  driftPct: number;
  expected: number;
  differing: number;
  missing: number;
  orphans: number;
  measuredAt: number;
}

/**
 * Read every record of the canonical store and of each target (full listings from the start,
 * no cursors moved), map system ids to contact ids through the links, and compare with
 * driftReport. The per-system summary is kept in sync_state (`contacts-drift:<system>`) for
 * /health, /metrics and the alert check; above 5 % raises a drift alert.
 */
export async function measureDrift(hub: Hub, opts: { sampleSize?: number; store?: boolean } = {}): Promise<SystemDrift[]> {
  const canonical: CanonicalContact[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < MAX_PAGES; i++) {
    const page = await hub.systems.canonical.listSince(cursor, 1000);
    canonical.push(...page.contacts);
    cursor = page.cursor;
    if (page.done || !page.contacts.length) break;
  }
  // A change feed can list one contact more than once (BigQuery's overlap window): keep the last.
  const latest = [...new Map(canonical.map((c) => [c.contact_id, c])).values()];
  const records: SystemContact[] = [];
  for (const [name, system] of hub.systems.targets) {
    const seen = new Map<string, SystemContact>();
    let c: string | undefined;
    for (let i = 0; i < MAX_PAGES; i++) {
      const page = await system.listChanged(c, 500);
      for (const r of page.contacts) {
        const link = await findLinkByExternalId(hub.db, name, r.externalId);
        seen.set(r.externalId, { ...r, contactId: link?.contactId ?? r.contactId });
      }
      c = page.cursor;
      if (page.done || !page.contacts.length) break;
    }
    records.push(...seen.values());
  }
  const report = driftReport(latest, records, { systems: [...hub.systems.targets.keys()], sampleSize: opts.sampleSize });
  if (opts.store !== false) {
    const now = hub.clock();
    await hub.db.tx(async (q) => {
      for (const d of report) await storeDrift(q, { system: d.system, driftPct: d.driftPct, expected: d.expected, differing: d.differing, missing: d.missing, orphans: d.orphans, measuredAt: now });
    });
    for (const d of report) {
      if (d.driftPct > DRIFT_ALERT_PCT) {
        await hub.alerts.raise({ kind: 'drift', subject: d.system, message: `${d.system}: ${d.driftPct} % of contacts differ from canonical (${d.differing} of ${d.expected})`, details: { driftPct: d.driftPct } });
      } else await hub.alerts.clear('drift', d.system);
    }
  }
  return report;
}

async function storeDrift(q: Queryable, d: StoredDrift): Promise<void> {
  await saveCursor(q, driftStateKey(d.system), JSON.stringify(d));
  await recordSuccess(q, driftStateKey(d.system), d.differing);
}

export async function readStoredDrift(q: Queryable): Promise<Map<string, StoredDrift>> {
  const out = new Map<string, StoredDrift>();
  for (const row of await listSyncState(q, 'contacts-drift:')) {
    try {
      const d = JSON.parse(row.cursor ?? '') as StoredDrift;
      out.set(d.system, d);
    } catch {
      /* a row we did not write: ignore */
    }
  }
  return out;
}
