import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { openHub } from '../../../src/app/open-hub.js';
import type { Hub } from '../../../src/hub/hub-context.js';
import { HUB_QUEUE } from '../../../src/hub/jobs/hub-queues.js';
import { applyRecords } from '../../../src/hub/services/inbound-batch.service.js';
import { ingestInteractions } from '../../../src/people/index.js';
import { discoverRelationships } from '../../../src/people/relationships.service.js';
import { computeStrengths } from '../../../src/people/strengths.service.js';
import { contactIdForPerson } from '../../../src/promotion/person-contacts.store.js';
import { livePeople } from '../../../src/promotion/person-graph.reader.js';
import { promoteContacts, type PromotionOptions } from '../../../src/promotion/promote.service.js';
import { createRedis } from '../../../src/redis/connection.js';
import { makePeople, makeRows } from '../../support/people/people-fixtures.js';
import { cleanupRedis, ENGINES, freshDb, redisUrl, type TestDb, testLog, uniquePrefix } from '../../support/test-env.js';

/**
 * The first promotion written in batches (applyRecords: one lock batch, one read, one
 * transaction per batch) against the same promotion one person at a time (applyRecord per
 * person, as a webhook's record), on the same people: the same canonical rows, links, outbox
 * rows, person_contacts rows and fan-out jobs. Then a replay of a batch writes nothing.
 * Two configured targets (never contacted: nothing serves their queues) give outbox rows and fan-out jobs.
 */
const NOW = Date.UTC(2026, 0, 20, 12);
const TABLES: Record<string, string> = {
  // updated_at is the local store's own wall-clock stamp of the write.
  contacts: 'SELECT contact_id, canonical_name, first_name, last_name, emails, phones, company, job_title, category_code, subcategory_code, notes, llm_context, version, last_updated, last_updated_by, content_hash, deleted_at, change_seq FROM contacts ORDER BY contact_id',
  contact_emails: 'SELECT * FROM contact_emails ORDER BY email, contact_id',
  contact_links: 'SELECT * FROM contact_links ORDER BY contact_id, system',
  contact_outbox: 'SELECT * FROM contact_outbox ORDER BY contact_id, target',
  person_contacts: 'SELECT * FROM person_contacts ORDER BY person_id',
  contact_versions: 'SELECT contact_id, change_seq, version, content_hash, record, changed_fields, system, origin FROM contact_versions ORDER BY contact_id, change_seq',
};

describe.each(ENGINES)('a batched first promotion against one person at a time (%s)', (engine) => {
  let t: TestDb;
  let people: string[];
  const hubs: { hub: Hub; prefix: string }[] = [];
  const rule = { enabled: true, address_books: false, min_interactions: 1 };

  beforeAll(async () => {
    t = await freshDb(engine);
    people = await makePeople(t.db, 40);
    // A few people with no interaction are not promoted; the rest have companions and a window.
    await ingestInteractions(t.db, makeRows(people.slice(0, 34), 400, 7).map((r) => ({ ...r, occurredAt: NOW - 200 * 86_400_000 + (r.occurredAt % (200 * 86_400_000)) })));
    await t.db.run(`INSERT INTO source_entities (source, external_id, person_id, handles, created_at, updated_at) VALUES ('linkedin', 'in-1', ?, '["https://www.linkedin.com/in/someone"]', 1, 1)`, [people[3]!]);
    await discoverRelationships(t.db);
    await computeStrengths(t.db, NOW);
  }, 60_000);
  afterAll(async () => {
    for (const h of hubs) {
      await h.hub.close();
      await cleanupRedis(h.prefix);
    }
    await t?.dispose();
  });

  const newHub = async () => {
    const prefix = uniquePrefix();
    const env = { SUPABASE_URL: 'http://127.0.0.1:9', SUPABASE_KEY: 'unused', TWENTY_API_URL: 'http://127.0.0.1:9', TWENTY_API_KEY: 'unused' };
    const hub = await openHub({ db: t.db, redisUrl: redisUrl(), prefix, log: testLog, env, clock: () => NOW });
    hubs.push({ hub, prefix });
    return hub;
  };
  const snapshot = async () => {
    const out: Record<string, unknown[]> = {};
    for (const [name, sql] of Object.entries(TABLES)) out[name] = await t.db.all(sql);
    return out;
  };
  /** The fan-out flows a hub enqueued: their ids and the contacts and versions each carries. */
  const fanoutJobs = async (hub: Hub) => {
    const conn = createRedis(redisUrl());
    const q = new Queue(HUB_QUEUE.fanout, { connection: conn, prefix: hubs.find((h) => h.hub === hub)!.prefix });
    try {
      const jobs = await q.getJobs(['waiting-children', 'waiting', 'active', 'completed', 'failed', 'delayed']);
      return jobs.map((j) => ({ id: j.id, count: (j.data as { count: number }).count, ids: (j.data as { ids?: string[] }).ids })).sort((a, b) => String(a.id).localeCompare(String(b.id)));
    } finally {
      await q.close();
      conn.disconnect();
    }
  };
  /** Forget every contact the promotion wrote, and the change counter with them. */
  const forgetContacts = async () => {
    await t.db.tx(async (q) => {
      for (const table of Object.keys(TABLES)) await q.run(`DELETE FROM ${table}`);
      await q.run('UPDATE contact_seq SET n = 0 WHERE id = 1');
    });
  };
  const promote = (hub: Hub, o: PromotionOptions = {}) => promoteContacts(hub, { rule, now: NOW, batch: 10, ...o });

  it('reads the relationship totals of everyone in one pass exactly as person by person', async () => {
    const all = await livePeople(t.db);
    expect(all).toHaveLength(40);
    expect(all.filter((p) => Number(p.shared) > 0).length).toBeGreaterThan(20);
    expect(all).toEqual(await livePeople(t.db, people));
  });

  it('writes the same contacts, links, outbox rows, person_contacts and fan-out jobs as one person at a time', async () => {
    const single = await newHub();
    const one = await promote(single, { writeBatch: 1 });
    expect(one).toMatchObject({ considered: 34, created: 34, updated: 0, failed: 0 });
    const bySingle = await snapshot();
    const singleJobs = await fanoutJobs(single);

    await forgetContacts();
    const batched = await newHub();
    const many = await promote(batched, { writeBatch: 15 });
    expect(many).toEqual(one);
    const byBatch = await snapshot();
    expect(byBatch).toEqual(bySingle);
    expect(await fanoutJobs(batched)).toEqual(singleJobs);

    // Not empty comparisons: every promoted person has a contact with its graph, a link from the
    // system kith, and one pending row per target, and the fan-out carries all of them.
    expect(byBatch.contacts).toHaveLength(34);
    expect(byBatch.contact_links).toHaveLength(34);
    expect(byBatch.contact_outbox).toHaveLength(68);
    expect(byBatch.person_contacts).toHaveLength(34);
    expect(byBatch.contact_versions).toHaveLength(34);
    expect(byBatch.contact_versions).toEqual(expect.arrayContaining([expect.objectContaining({ system: 'kith', origin: 'promotion' })]));
    expect(singleJobs.reduce((n, j) => n + j.count, 0)).toBe(34);
    const withProfile = (byBatch.contacts as { contact_id: string; llm_context: string }[]).find((c) => c.contact_id === contactIdForPerson(people[3]!))!;
    expect(JSON.parse(withProfile.llm_context)).toMatchObject({ graph: { person_id: people[3], profiles: ['https://www.linkedin.com/in/someone'] } });
    expect(JSON.parse(withProfile.llm_context).graph.most_often_with.length).toBeGreaterThan(0);
    expect(JSON.parse(withProfile.llm_context).graph.recent).toHaveLength(5);
  });

  it('a replayed batch writes nothing new: the same records again, and the promotion again with its bookkeeping lost', async () => {
    const hub = await newHub();
    const records = [1, 2, 3, 4, 5].map((n) => ({
      system: 'kith' as const,
      externalId: `replay-${n}`,
      contactId: contactIdForPerson(`replay-${n}`),
      fields: { canonical_name: `Replay ${n}`, emails: [`replay${n}@example.org`], llm_context: { graph: { person_id: `replay-${n}` } } },
      updatedAt: new Date(NOW - 1_000).toISOString(),
      deletedAt: null,
    }));
    expect((await applyRecords(hub, records, { fanout: false })).map((r) => r.action)).toEqual(records.map(() => 'created'));
    const written = await snapshot();
    // Delivered again (at least once): each record is Kith's own last write, nothing is written.
    expect((await applyRecords(hub, records, { fanout: false })).map((r) => r.action)).toEqual(records.map(() => 'echo'));
    expect(await snapshot()).toEqual(written);
    await t.db.tx(async (q) => {
      for (const table of ['contacts', 'contact_emails', 'contact_links', 'contact_outbox']) await q.run(`DELETE FROM ${table} WHERE contact_id IN (${records.map(() => '?').join(', ')})`, records.map((r) => r.contactId));
    });
    const before = await snapshot();

    expect(await promote(hub, { writeBatch: 15 })).toMatchObject({ created: 0, updated: 0, unchanged: 0, failed: 0 });
    await t.db.run('DELETE FROM person_contacts');
    const r = await promote(hub, { writeBatch: 15 });
    expect(r).toMatchObject({ considered: 34, created: 0, updated: 0, unchanged: 34, failed: 0 });
    const after = await snapshot();
    expect(after.contacts).toEqual(before.contacts);
    expect(after.contact_outbox).toEqual(before.contact_outbox);
    expect(after.person_contacts).toEqual(before.person_contacts);
    expect(await fanoutJobs(hub)).toEqual([]);
  });
});
