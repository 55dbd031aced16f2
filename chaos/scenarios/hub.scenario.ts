/**
 * The contact hub under faults: worker processes SIGKILLed mid-job, every target answering 500
 * then 429, Redis SIGKILLed with a backlog queued. Each runs the real processes (chaos/support/
 * hub-env.ts), sends contact edits through Twenty's and Supabase's signed webhooks while the
 * fault happens, settles, and checks that every change reached every system, drift is 0 % by
 * the hub's own drift measure, and no write was repeated (chaos/support/hub-load.ts).
 */
import type { ChaosContext, ChaosResult, ChaosScenario } from '../scenario.js';
import { syncAllContacts } from '../../src/hub/services/sweep.service.js';
import { type ChaosHub, LOCK_MS, type Proc, sleep, startChaosHub } from '../support/hub-env.js';
import { EditLoad, missingChanges, type Seeded, seedContacts, verify, waitForChanges } from '../support/hub-load.js';

type Outcome = Omit<ChaosResult, 'scenario' | 'engine'>;

/**
 * Changes per second the hub drains a backlog at, at the least, on a loaded machine: the hub
 * bench measures about ten times this (webhook to every target), so a backlog of n changes
 * takes at most n / 20 s.
 */
const DRAIN_FLOOR_PER_S = 20;
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Start the hub, seed the contacts, run `body`, always close everything. */
async function withHub(ctx: ChaosContext, contacts: number, body: (h: ChaosHub, seeded: Seeded) => Promise<Outcome>, extraEnv?: Record<string, string>): Promise<Outcome> {
  const h = await startChaosHub(ctx, { extraEnv });
  try {
    await h.startWorker('inbound');
    await h.startWorker('target');
    ctx.log(`hub ready (${ctx.engine}): Kith ${h.baseUrl}, Redis ${h.redis.url}; seeding ${contacts} contacts`);
    const seeded = await seedContacts(h, contacts, 60_000);
    return await body(h, seeded);
  } finally {
    await h.close();
  }
}

function result(v: Awaited<ReturnType<typeof verify>>, extra: { recovery_s: number | null; discrepancies?: string[]; details?: Record<string, unknown> }): Outcome {
  const discrepancies = [...(extra.discrepancies ?? []), ...v.discrepancies];
  return { passed: discrepancies.length === 0, recovery_s: extra.recovery_s, lost: v.lost, duplicated: v.duplicated, drift_pct: v.driftPct, discrepancies, details: { ...v.details, ...extra.details } };
}

/** Wait (briefly) until one of these queues has a job running, so the kill lands mid-job; the count seen. */
async function activeIn(h: ChaosHub, queues: readonly string[], timeoutMs: number, signal: AbortSignal): Promise<number> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    let n = 0;
    for (const q of queues) n += await h.queue(q).getActiveCount();
    if (n) return n;
    await sleep(5, signal);
  }
  return 0;
}

function killWorkerScenario(kind: 'inbound' | 'target'): ChaosScenario {
  const victimQueues = kind === 'inbound' ? ['contacts-inbound'] : ['contacts-to-supabase', 'contacts-to-twenty', 'contacts-fanout'];
  return {
    name: `kill-hub-${kind}-worker`,
    description: `SIGKILL the hub's ${kind} worker mid-job while webhooks arrive, restart it: every change reaches every target, drift 0 %, recovery within 1.5 × lock + backlog time`,
    engines: ['sqlite', 'postgres'],
    fast: kind === 'target',
    budgetSeconds: (fast) => (fast ? 90 : 240),
    async run(ctx) {
      const cfg = ctx.fast ? { contacts: 40, rate: 15, before: 3, down: 3, after: 2 } : { contacts: 200, rate: 30, before: 10, down: 10, after: 5 };
      return withHub(ctx, cfg.contacts, async (h, seeded) => {
        const load = new EditLoad(h, seeded.ids, cfg.rate);
        try {
          await sleep(cfg.before * 1000, ctx.signal);
          const active = await activeIn(h, victimQueues, 5000, ctx.signal);
          const killedAt = Date.now();
          const sentBeforeKill = load.sent.length;
          await h.workers[kind]!.kill('SIGKILL');
          ctx.log(`SIGKILLed the ${kind} worker with ${active} job(s) active; webhooks keep arriving for ${cfg.down} s`);
          await sleep(cfg.down * 1000, ctx.signal);
          const backlog = await h.backlog();
          const changesWhileDown = load.sent.length - sentBeforeKill;
          const expected = load.latest();
          const restartedAt = Date.now();
          await h.startWorker(kind);
          const startupS = (Date.now() - restartedAt) / 1000;
          const boundS = 1.5 * (LOCK_MS / 1000) + changesWhileDown / DRAIN_FLOOR_PER_S;
          const drained = await waitForChanges(h, seeded.ids, expected, Math.max(30_000, boundS * 4000), ctx.signal);
          ctx.log(`restarted (start-up ${round(startupS, 1)} s); the backlog of ${changesWhileDown} change(s) reached every system ${drained === null ? 'NOT within the wait' : `${round(drained, 1)} s after the restart`}`);
          await sleep(cfg.after * 1000, ctx.signal);
          await load.stop();
          await h.settle(60_000);
          const v = await verify(h, seeded, load);
          const discrepancies: string[] = [];
          if (drained === null) discrepancies.push(`the changes sent before the restart had not all reached every system ${Math.round(Math.max(30, boundS * 4))} s after it`);
          else if (drained > boundS) discrepancies.push(`recovery took ${round(drained, 1)} s, over the bound of ${round(boundS, 1)} s (1.5 × the ${LOCK_MS / 1000} s lock + ${changesWhileDown} changes at ${DRAIN_FLOOR_PER_S}/s)`);
          if (!active) discrepancies.push(`no ${kind} job was running when the worker was killed (the kill did not land mid-job)`);
          return result(v, {
            recovery_s: drained === null ? null : round(drained),
            discrepancies,
            details: { killed: `${kind} worker (${victimQueues.join(', ')})`, active_jobs_at_kill: active, changes_while_down: changesWhileDown, backlog_at_restart: backlog, worker_startup_s: round(startupS), recovery_bound_s: round(boundS), lock_ms: LOCK_MS, killed_at: new Date(killedAt).toISOString() },
          });
        } finally {
          await load.stop();
        }
      });
    },
  };
}

const targetStorm: ChaosScenario = {
  name: 'target-storm',
  description: 'every target answers 500, then 429 with Retry-After, while webhooks arrive: drift 0 %, nothing lost or rewritten, requests per second bounded, alerts de-duplicated',
  engines: ['sqlite', 'postgres'],
  fast: true,
  budgetSeconds: (fast) => (fast ? 90 : 300),
  async run(ctx) {
    const cfg = ctx.fast ? { contacts: 40, rate: 10, s500: 5, s429: 5, retryAfter: 2 } : { contacts: 200, rate: 20, s500: 30, s429: 30, retryAfter: 5 };
    return withHub(ctx, cfg.contacts, async (h, seeded) => {
      const load = new EditLoad(h, seeded.ids, cfg.rate);
      try {
        await sleep(2000, ctx.signal);
        const t0 = Date.now();
        const until500 = t0 + cfg.s500 * 1000;
        const until429 = until500 + cfg.s429 * 1000;
        const retryAfter = { 'retry-after': String(cfg.retryAfter) };
        h.twenty.injectFault({ path: '/rest/', status: 500, until: until500 });
        h.twenty.injectFault({ path: '/rest/', status: 429, headers: retryAfter, until: until429 });
        h.supabase.injectFault({ path: '/rest/v1/', status: 500, until: until500 });
        h.supabase.injectFault({ path: '/rest/v1/', status: 429, headers: retryAfter, until: until429 });
        const mark = () => ({ twenty: h.twenty.requests.length, supabase: h.supabase.requests.length, sent: load.sent.length });
        const start = mark();
        const alertsBefore = h.alerts.length;
        ctx.log(`storm: ${cfg.s500} s of 500, then ${cfg.s429} s of 429 (Retry-After ${cfg.retryAfter} s) from Twenty and Supabase`);
        await sleep(until500 - Date.now(), ctx.signal);
        const mid = mark();
        await sleep(until429 - Date.now(), ctx.signal);
        const end = mark();
        const stormEnd = Date.now();
        const expected = load.latest();
        const recovered = await waitForChanges(h, seeded.ids, expected, 120_000, ctx.signal);
        ctx.log(`storm over; the changes sent during it reached every system ${recovered === null ? 'NOT within 120 s' : `${round(recovered, 1)} s later`}`);
        await sleep(1000, ctx.signal);
        await load.stop();
        await h.settle(120_000);
        // Recovered alerts are sent by the first success after the storm: give them a moment.
        await sleep(500, ctx.signal);
        const v = await verify(h, seeded, load);

        // Changes each target had to take during the storm: Supabase takes Twenty's edits, Twenty takes Supabase's.
        const during = load.sent.slice(start.sent, end.sent);
        const jobsFor = { supabase: during.filter((e) => e.system === 'twenty').length, twenty: during.filter((e) => e.system === 'supabase').length };
        const jobs500 = { supabase: load.sent.slice(start.sent, mid.sent).filter((e) => e.system === 'twenty').length, twenty: load.sent.slice(start.sent, mid.sent).filter((e) => e.system === 'supabase').length };
        // The bound, from the settings: a target job is retried with exponential backoff from 1 s with
        // ±50 % jitter, so within s seconds it makes at most 2 + log2(s) attempts, each at most two
        // requests per change (Twenty: read the copies, then write; Supabase: one call); the
        // changes of the whole storm, and 16 jobs already running, may each be caught by the 500s.
        // A 429 pauses the target's queue (and Twenty's client limiter) for Retry-After, so the 429
        // phase allows at most the 16 jobs a worker runs at once, twice, per Retry-After.
        const concurrency = 16;
        const bound = (t: 'twenty' | 'supabase') => {
          const r500 = (jobsFor[t] + concurrency) * 2 * (2 + Math.log2(cfg.s500));
          const r429 = concurrency * 2 * (cfg.s429 / cfg.retryAfter + 1);
          return round((r500 + r429) / (cfg.s500 + cfg.s429));
        };
        const rps = (t: 'twenty' | 'supabase', a: ReturnType<typeof mark>, b: ReturnType<typeof mark>, s: number) => round((b[t] - a[t]) / s);
        const perTarget = Object.fromEntries(
          (['twenty', 'supabase'] as const).map((t) => [t, { requests_per_s: rps(t, start, end, cfg.s500 + cfg.s429), during_500: rps(t, start, mid, cfg.s500), during_429: rps(t, mid, end, cfg.s429), bound_per_s: bound(t), changes_to_take: jobsFor[t], changes_during_500: jobs500[t] }]),
        );
        const discrepancies: string[] = [];
        for (const t of ['twenty', 'supabase'] as const) {
          const p = perTarget[t]!;
          if (p.requests_per_s > p.bound_per_s) discrepancies.push(`${t} got ${p.requests_per_s} requests/s during the storm, over the bound of ${p.bound_per_s}/s: a retry loop`);
        }
        // Alerts: one per kind and subject, plus its recovered message.
        const alerts = h.alerts.slice(alertsBefore);
        const byKey = new Map<string, Record<string, number>>();
        for (const a of alerts) {
          const k = `${a.kind}:${a.subject}`;
          const s = byKey.get(k) ?? {};
          s[a.state] = (s[a.state] ?? 0) + 1;
          byKey.set(k, s);
        }
        for (const [k, s] of byKey) {
          if ((s.raised ?? 0) > 1) discrepancies.push(`alert ${k} raised ${s.raised} times during one storm (not de-duplicated)`);
          if ((s.raised ?? 0) + (s.reminder ?? 0) > 0 && !s.recovered) discrepancies.push(`alert ${k} raised but no recovered message after the storm`);
        }
        if (recovered === null) discrepancies.push('the changes sent during the storm had not reached every system 120 s after it');
        return result(v, {
          recovery_s: recovered === null ? null : round(recovered),
          discrepancies,
          details: {
            storm: { status_500_s: cfg.s500, status_429_s: cfg.s429, retry_after_s: cfg.retryAfter, ended_at: new Date(stormEnd).toISOString() },
            targets: perTarget,
            alerts_sent: alerts.length,
            alerts: Object.fromEntries(byKey),
          },
        });
      } finally {
        await load.stop();
      }
    });
  },
};

/** The ids of the jobs waiting in the target queues (the target worker is stopped: none runs). */
async function targetJobIds(h: ChaosHub): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const q of ['contacts-to-supabase', 'contacts-to-twenty']) for (const j of await h.queue(q).getJobs(['waiting', 'delayed', 'prioritized'], 0, 10_000)) if (j?.id) ids.add(`${q}/${j.id}`);
  return ids;
}

const hubRedisRestart: ChaosScenario = {
  name: 'hub-redis-restart',
  description: 'Redis SIGKILLed with contact changes queued for the targets and edits arriving, restarted from its AOF (fsync every second): processes reconnect, after the sweep drift 0 % and nothing lost',
  engines: ['sqlite', 'postgres'],
  fast: false,
  budgetSeconds: (fast) => (fast ? 90 : 240),
  async run(ctx) {
    const cfg = ctx.fast ? { contacts: 40, rate: 15, sending: 3, down: 2, after: 2 } : { contacts: 200, rate: 30, sending: 8, down: 5, after: 5 };
    return withHub(ctx, cfg.contacts, async (h, seeded) => {
      // The target worker is stopped so the changes wait in the target queues when Redis dies.
      await h.workers.target!.kill('SIGTERM');
      const deliveriesBefore = { twenty: h.twenty.webhookDeliveries.length, supabase: h.supabase.webhookDeliveries.length };
      const load = new EditLoad(h, seeded.ids, cfg.rate);
      const alive = (p: Proc | undefined) => Boolean(p?.alive());
      try {
        // Edits keep arriving up to the kill, through the outage and after: the last second before
        // the kill may not be on disk yet, and the webhooks sent while Redis is down are refused.
        await sleep(cfg.sending * 1000, ctx.signal);
        const backlogBefore = await h.backlog();
        const jobsBefore = await targetJobIds(h);
        await h.redis.proc.kill('SIGKILL');
        const killedAt = Date.now();
        const sentBeforeKill = load.sent.length;
        const sentBeforeKillSeq = load.sent.at(-1)?.seq ?? 0;
        ctx.log(`Redis SIGKILLed with ${JSON.stringify(backlogBefore)} queued; down for ${cfg.down} s`);
        await sleep(cfg.down * 1000, ctx.signal);
        await h.redis.restart();
        const restartedAt = Date.now();
        const backlogAfter = await h.backlog();
        const jobsAfter = await targetJobIds(h);
        const jobsLost = [...jobsBefore].filter((id) => !jobsAfter.has(id)).length;
        await h.startWorker('target');
        // Recovered once every change sent before the kill is in every system (edits keep arriving meanwhile).
        const drained = await waitForChanges(h, seeded.ids, load.latest(sentBeforeKillSeq), 30_000, ctx.signal);
        const drainedAt = Date.now();
        await sleep(Math.max(0, restartedAt + cfg.after * 1000 - Date.now()), ctx.signal);
        await load.stop();
        await h.settle(60_000);
        const before = await missingChanges(h, seeded.ids, load.latest(), true);
        ctx.log(`Redis back after ${round((restartedAt - killedAt) / 1000, 1)} s with ${JSON.stringify(backlogAfter)}; settled, ${before.missing} change(s) missing; sweeping`);
        // What the AOF's last second can lose, and the webhooks refused while Redis was down, the sweep catches up.
        const sweep = await syncAllContacts(h.hub);
        await h.settle(60_000);
        const sweptAt = Date.now();
        const v = await verify(h, seeded, load);
        const discrepancies: string[] = [];
        if (!alive(h.workers.inbound)) discrepancies.push(`the inbound worker exited during the Redis outage:\n${h.workers.inbound?.output().slice(-2000)}`);
        if (!alive(h.workers.target)) discrepancies.push(`the target worker exited after the Redis restart:\n${h.workers.target?.output().slice(-2000)}`);
        // Stack frames in the workers' logs: a reconnect should be one line, not a trace.
        const frames = (p: Proc | undefined) => (p?.output().match(/^\s+at /gm) ?? []).length;
        const refused = (d: { status?: number; error?: string }[]) => d.filter((x) => x.error || (x.status !== undefined && x.status >= 300)).length;
        return result(v, {
          recovery_s: round(((drained === null ? sweptAt : drainedAt) - restartedAt) / 1000),
          discrepancies,
          details: {
            changes_before_kill: sentBeforeKill,
            backlog_before_kill: backlogBefore,
            backlog_after_restart: backlogAfter,
            target_jobs_queued_at_kill: jobsBefore.size,
            target_jobs_lost_by_redis: jobsLost,
            webhooks_refused: { twenty: refused(h.twenty.webhookDeliveries.slice(deliveriesBefore.twenty)), supabase: refused(h.supabase.webhookDeliveries.slice(deliveriesBefore.supabase)) },
            missing_before_sweep: before.missing,
            sweep_fanned_out: sweep.fannedOut,
            redis_down_s: round((restartedAt - killedAt) / 1000),
            worker_log_stack_frames: { inbound: frames(h.workers.inbound), target: frames(h.workers.target) },
          },
        });
      } finally {
        await load.stop();
      }
    });
  },
};

export const scenarios: ChaosScenario[] = [killWorkerScenario('inbound'), killWorkerScenario('target'), targetStorm, hubRedisRestart];
