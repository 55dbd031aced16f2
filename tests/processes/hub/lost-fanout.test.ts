import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboundJobData } from '../../../src/hub/jobs/job-data.js';
import { HUB_QUEUE } from '../../../src/hub/jobs/hub-queues.js';
import { applyInbound } from '../../../src/hub/services/inbound.service.js';
import { listPending } from '../../../src/hub/stores/contact-outbox.store.js';
import { createRedis } from '../../../src/redis/connection.js';
import { type HubEnv, spawnWorker, startHubEnv, until } from '../../support/hub/hub-kit.js';

/**
 * A worker that commits a change and dies before its fan-out reaches the queue (or whose Redis
 * master fails over before replicating the enqueue) leaves the change applied and pending in the
 * outbox, with no job to deliver it. The job comes back (its lock expires) and finds its own
 * change: the targets still pending get their jobs again.
 */
describe('a change applied whose fan-out never reached the queue', () => {
  let h: HubEnv;
  beforeAll(async () => {
    h = await startHubEnv({ extraEnv: { KITH_JOB_LOCK_MS: '2000' } });
  }, 40_000);
  afterAll(async () => {
    await h?.stop();
  });

  it('is fanned out when its job is taken again after its lock expired', async () => {
    await Promise.all(h.workers.map((w) => w.stop()));
    h.workers.length = 0;
    const person = h.twenty.createPerson({ name: { firstName: 'Mary', lastName: 'Somerville' }, emails: { primaryEmail: 'mary@example.org', additionalEmails: [] }, jobTitle: 'Astronomer' });
    const id = person.id as string;
    await h.twenty.flushWebhooks();
    const inbound = h.queue(HUB_QUEUE.inbound);
    await until(async () => (await inbound.getJobCounts('waiting')).waiting === 1 && true, 'the change to be queued');

    // The first attempt: taken (active, its lock held by a worker that will never renew it), the
    // change committed with its outbox rows, and the process gone before enqueueing the fan-out.
    const conn = createRedis(h.env.REDIS_URL!);
    const taker = new Worker(HUB_QUEUE.inbound, null, { connection: conn, prefix: h.prefix, lockDuration: 2000, autorun: false });
    let jobId: string | undefined;
    try {
      const job = await taker.getNextJob('first-attempt');
      expect(job?.attemptsStarted).toBe(1);
      jobId = job!.id;
      const outcome = await applyInbound(h.hub, inboundJobData.parse(job!.data), { fanout: false });
      expect(outcome).toMatchObject({ action: 'created', contactId: id });
    } finally {
      await taker.close(true);
      conn.disconnect();
    }
    // Applied in the canonical store (the local database here); Supabase still to be written, and no job will.
    expect((await listPending(h.db.db)).map((p) => p.target)).toEqual(['supabase']);

    // A worker finds the job stalled, takes it again, recognises its own change and re-drives the pending targets.
    h.workers.push(await spawnWorker(h.env));
    await until(async () => (await h.supabase.sql<{ job_title: string }>('SELECT job_title FROM contacts WHERE contact_id = $1', [id]))[0]?.job_title === 'Astronomer', 'the change to reach Supabase', 30_000);
    await h.settle(30_000);
    expect(await listPending(h.db.db)).toEqual([]);
    const done = (await inbound.getJobs(['completed'])).find((j) => j.id === jobId);
    expect(done?.attemptsStarted).toBe(2);
    expect(done?.returnvalue).toMatchObject({ contactId: id, redriven: ['supabase'] });
  }, 90_000);
});
