import { createHash } from 'node:crypto';
import type { SystemName } from '../domain/canonical-contact.js';
import { getLink } from '../stores/contact-links.store.js';
import { logSweep } from '../../sync/sync-log.service.js';
import { readSyncState, recordFailure, recordSuccess, saveCursor } from '../../sync/sync-state.store.js';
import type { Hub } from '../hub-context.js';
import { SOURCE_SYSTEMS, type TargetSystem } from '../jobs/hub-queues.js';
import { applyRecord, type InboundOutcome } from './inbound.service.js';
import { enqueueFanout } from './propagation.service.js';
import { linkHashFor } from '../domain/link-hash.js';

/** Far beyond any real number of pages: a system whose cursor never advances cannot spin us forever. */
const MAX_PAGES = 1_000_000;

export const sweepStateKey = (system: SystemName) => `contacts:${system}`;

export interface SystemSweep {
  system: SystemName;
  role: 'source' | 'canonical';
  read: number;
  /** Source: outcome → count. Canonical: target → contacts that target does not hold yet. */
  counts: Record<string, number>;
  pages: number;
  error?: string;
}

export interface SweepReport {
  dryRun: boolean;
  systems: SystemSweep[];
  /** Canonical records fanned out (or, dry, that would be). */
  fannedOut: number;
  ms: number;
}

/**
 * `sync_all_contacts`: the catch-up for whatever a lost webhook missed. Per source system,
 * listChanged from its last cursor (sync_state `contacts:<system>`), each record through the
 * same reverse path as a webhook (echoes cost nothing), cursor saved after every page; then
 * the canonical store's own change feed from its cursor, fanned out page by page with
 * deterministic flow ids. A crash resumes from the saved cursors: the page in flight is
 * simply processed again, idempotently. One failing system is reported and alerted and does
 * not stop the others. `dryRun` reads the same pages from the same cursors and writes nothing.
 */
export async function syncAllContacts(hub: Hub, opts: { dryRun?: boolean } = {}): Promise<SweepReport> {
  const started = hub.clock();
  const dryRun = Boolean(opts.dryRun);
  const report: SweepReport = { dryRun, systems: [], fannedOut: 0, ms: 0 };
  const sources = SOURCE_SYSTEMS.filter((s) => s !== hub.systems.canonicalName && hub.systems.targets.has(s));
  for (const s of sources) report.systems.push(await sweepSource(hub, s, dryRun));
  const canon = await sweepCanonical(hub, dryRun);
  report.systems.push(canon.sweep);
  report.fannedOut = canon.fannedOut;
  report.ms = hub.clock() - started;
  return report;
}

async function guarded(hub: Hub, s: SystemSweep, dryRun: boolean, body: () => Promise<void>): Promise<SystemSweep> {
  const started = hub.clock();
  try {
    await body();
    if (!dryRun) {
      await recordSuccess(hub.db, sweepStateKey(s.system), s.read);
      await hub.alerts.clear('sync_failure', `sweep:${s.system}`);
    }
  } catch (err) {
    s.error = (err as Error).message;
    if (!dryRun) {
      await recordFailure(hub.db, sweepStateKey(s.system), s.error).catch(() => undefined);
      const transient = (err as { retryable?: boolean }).retryable !== false;
      await hub.alerts.raise({ kind: 'sync_failure', subject: `sweep:${s.system}`, message: `contacts sweep of ${s.system} failed: ${s.error}` }, { transient });
    }
  }
  if (!dryRun) await logSweep(hub.db, s, started, hub.clock());
  return s;
}

async function sweepSource(hub: Hub, system: TargetSystem, dryRun: boolean): Promise<SystemSweep> {
  const s: SystemSweep = { system, role: 'source', read: 0, counts: {}, pages: 0 };
  return guarded(hub, s, dryRun, async () => {
    const sys = hub.systems.targets.get(system)!;
    let cursor = (await readSyncState(hub.db, sweepStateKey(system)))?.cursor ?? undefined;
    for (let pages = 0; pages < MAX_PAGES; pages++) {
      const page = await sys.listChanged(cursor, hub.config.pageSize);
      for (const record of page.contacts) {
        const out: InboundOutcome = await applyRecord(hub, record, { fanout: false, dryRun, origin: 'sweep' });
        s.counts[out.action] = (s.counts[out.action] ?? 0) + 1;
        s.read++;
      }
      s.pages++;
      if (!dryRun && page.cursor !== undefined && page.cursor !== cursor) await saveCursor(hub.db, sweepStateKey(system), page.cursor);
      cursor = page.cursor;
      if (page.done || !page.contacts.length) break;
    }
  });
}

async function sweepCanonical(hub: Hub, dryRun: boolean): Promise<{ sweep: SystemSweep; fannedOut: number }> {
  const system = hub.systems.canonicalName;
  const s: SystemSweep = { system, role: 'canonical', read: 0, counts: {}, pages: 0 };
  let fannedOut = 0;
  await guarded(hub, s, dryRun, async () => {
    let cursor = (await readSyncState(hub.db, sweepStateKey(system)))?.cursor ?? undefined;
    for (let pages = 0; pages < MAX_PAGES; pages++) {
      const page = await hub.systems.canonical.listSince(cursor, hub.config.pageSize);
      s.read += page.contacts.length;
      s.pages++;
      if (dryRun) {
        for (const c of page.contacts) {
          for (const [target, system] of hub.systems.targets) {
            const link = await getLink(hub.db, c.contact_id, target);
            if (link?.lastHash !== linkHashFor(system, c)) s.counts[target] = (s.counts[target] ?? 0) + 1;
          }
        }
        fannedOut += page.contacts.length;
      } else if (page.contacts.length) {
        // Same page, same key: a resumed sweep re-adds a flow BullMQ already has, i.e. nothing.
        const key = `sweep.${createHash('sha256').update(`${system}|${cursor ?? ''}|${page.cursor ?? ''}`).digest('hex').slice(0, 20)}`;
        await enqueueFanout(hub, page.contacts.map((c) => ({ contactId: c.contact_id, version: c.sync_metadata.version })), { key, origin: 'sweep' });
        fannedOut += page.contacts.length;
        if (page.cursor !== undefined) await saveCursor(hub.db, sweepStateKey(system), page.cursor);
      }
      cursor = page.cursor;
      if (page.done || !page.contacts.length) break;
    }
  });
  return { sweep: s, fannedOut };
}
