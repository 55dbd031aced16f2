/**
 * The story of one contact from the jobs Redis keeps (completed and failed jobs are kept for a
 * day): every inbound job about it and every target job that carried it, with times, attempts,
 * outcome and the value it carried. Printed with a lost change, so the discrepancy explains
 * itself.
 */
import type { ChaosHub } from './hub-env.js';

const short = (t: number | undefined) => (t === undefined ? '-' : String(t % 100_000));

export async function traceContact(h: ChaosHub, contactId: string): Promise<string[]> {
  const lines: { at: number; text: string }[] = [];
  for (const state of ['completed', 'failed'] as const) {
    for (const j of await h.queue('contacts-inbound').getJobs([state], 0, 5000)) {
      if (j.data?.externalId !== contactId) continue;
      const r = j.data.record as Record<string, unknown> | undefined;
      const value = r ? (r.last_name ?? (r as { name?: { lastName?: string } }).name?.lastName ?? '') + '/' + String(r.job_title ?? r.jobTitle ?? '') : '';
      const v = r ? String(r.version ?? '') : '';
      lines.push({ at: j.timestamp, text: `inbound ${j.data.system} added ${short(j.timestamp)} ran ${short(j.processedOn)}-${short(j.finishedOn)} attempts ${j.attemptsMade} ${state} carried ${value} v${v} → ${JSON.stringify(j.returnvalue ?? j.failedReason)?.slice(0, 300)}` });
    }
    for (const q of ['contacts-to-supabase', 'contacts-to-twenty']) {
      for (const j of await h.queue(q).getJobs([state], 0, 5000)) {
        const items = (j.data?.items ?? []) as { contactId: string; version: number }[];
        const it = items.find((x) => x.contactId === contactId);
        if (!it) continue;
        lines.push({ at: j.timestamp, text: `${q} ${j.id} added ${short(j.timestamp)} ran ${short(j.processedOn)}-${short(j.finishedOn)} attempts ${j.attemptsMade} ${state} v${it.version} of ${items.length} → ${JSON.stringify(j.returnvalue ?? j.failedReason)?.slice(0, 200)}` });
      }
    }
  }
  return lines.sort((a, b) => a.at - b.at).map((l) => l.text);
}
