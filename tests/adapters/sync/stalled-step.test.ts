import { resolve } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { stepJobId } from '../../../src/flows/compile-flow.js';
import { startSyncRun } from '../../../src/flows/start-run.js';
import { createRedis } from '../../../src/redis/connection.js';
import { loadKithConfig } from '../../../src/sync/kith-config.js';
import { PIPELINE_QUEUE, sourceQueue } from '../../../src/sync/pipeline-queues.js';
import { getRun, markStepStarted, type StepRow } from '../../../src/sync/run.store.js';
import { syncHandlers } from '../../../src/workers/handlers/sync-steps.worker.js';
import { startWorkerHost, type WorkerHost } from '../../../src/workers/worker-host.js';
import { cleanupRedis, type Engine, ENGINES, freshDb, redisUrl, type TestDb, testLog, uniquePrefix } from '../../support/test-env.js';

const examples = resolve(import.meta.dirname, '../../../examples/kith.config.yaml');
const STALLED_OUT = /^job stalled more than allowable limit: its worker process died twice while running it$/;

/**
 * A step's job taken twice by workers that die without letting it go: BullMQ fails it for
 * stalling too often, without running the step's handler, so nothing but the gate and the
 * run's root job can record what became of the step. The run must not wait for it.
 */
describe('a step whose worker died twice', () => {
  let t: TestDb | undefined;
  let prefix = '';
  const closers: Array<() => Promise<unknown>> = [];

  afterEach(async () => {
    while (closers.length) await closers.pop()!();
    await t?.dispose();
    t = undefined;
    await cleanupRedis(prefix);
  });

  async function startRun(engine: Engine = 'sqlite') {
    t = await freshDb(engine);
    prefix = uniquePrefix();
    const config = loadKithConfig(examples);
    const sources = config.sources.filter((s) => ['vcard', 'mbox', 'ics'].includes(s.type));
    const run = await startSyncRun({ db: t.db, redisUrl: redisUrl(), prefix, config: { ...config, sources }, kind: 'test' });
    return run.runId;
  }

  /** A worker with a 1 s lock takes the step's job, records the step started, and dies holding it. */
  async function dieHolding(queue: string, runId: string, stepId: string): Promise<void> {
    const conn = createRedis(redisUrl(), { name: `kith:${prefix}:doomed-worker` });
    let took!: () => void;
    const taken = new Promise<void>((r) => (took = r));
    const worker = new Worker(
      queue,
      async (job) => {
        expect(job.id).toBe(stepJobId(runId, stepId));
        await markStepStarted(t!.db, runId, stepId);
        took();
        await new Promise(() => undefined); // the process dies mid-step
      },
      { connection: conn, prefix, lockDuration: 1000, stalledInterval: 300 },
    );
    try {
      await taken;
    } finally {
      await worker.close(true); // no lock renewal, no release: as if SIGKILLed
      conn.disconnect();
    }
  }

  async function host(queues: string[]): Promise<WorkerHost> {
    const cleanups: Array<() => Promise<void>> = [];
    const h = await startWorkerHost({
      redisUrl: redisUrl(),
      prefix,
      handlers: syncHandlers({ db: t!.db, redisUrl: redisUrl(), prefix, log: testLog, onClose: (f) => cleanups.push(f) }),
      queues,
      lockDurationMs: 2000,
      log: testLog,
    });
    closers.push(async () => {
      await h.close(2000);
      for (const c of cleanups) await c();
    });
    return h;
  }

  async function untilRunEnds(runId: string, withinMs: number): Promise<{ status: string; steps: Map<string, StepRow> }> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const r = (await getRun(t!.db, runId))!;
      if (r.run.status !== 'running') return { status: r.run.status, steps: new Map(r.steps.map((s) => [s.step_id, s])) };
      if (Date.now() > deadline) {
        throw new Error(`run still running after ${withinMs} ms: ${r.steps.map((s) => `${s.step_id}=${s.status}`).join(', ')}`);
      }
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  it.each(ENGINES)('a collection step stalled out fails with its reason, its dependents run, the run ends partial (%s)', async (engine) => {
    const runId = await startRun(engine);
    await dieHolding(sourceQueue('vcard'), runId, 'collect:vcard');
    await dieHolding(sourceQueue('vcard'), runId, 'collect:vcard');

    // collect:mbox runs after it as its flow parent; collect:ics waits for it in the gate.
    const started = Date.now();
    await host([...['vcard', 'mbox', 'ics'].map(sourceQueue), PIPELINE_QUEUE.link, PIPELINE_QUEUE.relationships, PIPELINE_QUEUE.verify, PIPELINE_QUEUE.index, PIPELINE_QUEUE.run]);
    const { status, steps } = await untilRunEnds(runId, 30_000);
    expect(Date.now() - started).toBeLessThan(30_000);

    expect(status).toBe('partial');
    expect(steps.get('collect:vcard')).toMatchObject({ status: 'failed', attempts: 2 });
    expect(steps.get('collect:vcard')!.error).toMatch(STALLED_OUT);
    for (const id of ['collect:mbox', 'collect:ics', 'link-entities', 'relationships', 'strengths', 'verify-stats']) {
      expect({ id, status: steps.get(id)!.status }).toEqual({ id, status: 'succeeded' });
    }
    const log = await t!.db.get<{ status: string; error: string }>(`SELECT status, error FROM sync_logs WHERE run_id = ? AND step_id = 'collect:vcard'`, [runId]);
    expect(log).toMatchObject({ status: 'failed' });
    expect(log!.error).toMatch(STALLED_OUT);
  }, 60_000);

  it('a fail-run step stalled out is recorded by the root job with its reason, and the run fails', async () => {
    const runId = await startRun();
    // Everything but phase 4 runs; its job is taken twice by dying workers, then served.
    await host([...['vcard', 'mbox', 'ics'].map(sourceQueue), PIPELINE_QUEUE.link, PIPELINE_QUEUE.relationships, PIPELINE_QUEUE.index, PIPELINE_QUEUE.run]);
    await dieHolding(PIPELINE_QUEUE.verify, runId, 'verify-stats');
    await dieHolding(PIPELINE_QUEUE.verify, runId, 'verify-stats');
    await host([PIPELINE_QUEUE.verify]);
    const { status, steps } = await untilRunEnds(runId, 30_000);

    expect(status).toBe('failed');
    expect(steps.get('strengths')!.status).toBe('succeeded');
    expect(steps.get('verify-stats')).toMatchObject({ status: 'failed', attempts: 2 });
    expect(steps.get('verify-stats')!.error).toMatch(STALLED_OUT);
    const conn = createRedis(redisUrl(), { name: `kith:${prefix}:check` });
    const q = new Queue(PIPELINE_QUEUE.verify, { connection: conn, prefix });
    try {
      expect(await (await q.getJob(stepJobId(runId, 'verify-stats')))!.getState()).toBe('failed');
    } finally {
      await q.close();
      await conn.quit();
    }
  }, 60_000);
});
