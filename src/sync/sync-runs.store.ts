import type { Queryable } from '../db/db.js';

/** The health figures of /health (sync in progress, last run, runs and success rate over 24 h), computed from the stored sync runs. */
export interface SyncHealth {
  sync_status: {
    sync_in_progress: boolean;
    last_sync_start: string | null;
    last_sync_end: string | null;
    last_sync_duration_seconds: number | null;
  };
  stats: { total_syncs_24h: number; success_rate: string | null };
}

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(Number(ms)).toISOString());

export async function syncHealth(q: Queryable, now = Date.now()): Promise<SyncHealth> {
  const running = await q.get<{ n: number }>(`SELECT COUNT(*) AS n FROM sync_runs WHERE status = 'running'`);
  const last = await q.get<{ started_at: number; finished_at: number | null }>(
    `SELECT started_at, finished_at FROM sync_runs WHERE finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT 1`,
  );
  const latestStart = await q.get<{ started_at: number }>(`SELECT started_at FROM sync_runs ORDER BY started_at DESC LIMIT 1`);
  const day = await q.get<{ total: number; finished: number; ok: number }>(
    `SELECT COUNT(*) AS total,
            SUM(CASE WHEN finished_at IS NOT NULL THEN 1 ELSE 0 END) AS finished,
            SUM(CASE WHEN status IN ('succeeded', 'partial') THEN 1 ELSE 0 END) AS ok
       FROM sync_runs WHERE started_at >= ?`,
    [now - 24 * 3600 * 1000],
  );
  const finished = Number(day?.finished ?? 0);
  return {
    sync_status: {
      sync_in_progress: Number(running?.n ?? 0) > 0,
      last_sync_start: iso(latestStart?.started_at),
      last_sync_end: iso(last?.finished_at),
      last_sync_duration_seconds: last?.finished_at != null ? Math.round((Number(last.finished_at) - Number(last.started_at)) / 100) / 10 : null,
    },
    stats: {
      total_syncs_24h: Number(day?.total ?? 0),
      success_rate: finished ? `${((100 * Number(day?.ok ?? 0)) / finished).toFixed(1)}%` : null,
    },
  };
}
