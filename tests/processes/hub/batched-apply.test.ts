import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalContact } from '../../../src/hub/domain/canonical-contact.js';
import type { SystemContact } from '../../../src/hub/ports/contact-system.js';
import { applyRecords } from '../../../src/hub/services/inbound-batch.service.js';
import { applyRecord, type InboundOutcome } from '../../../src/hub/services/inbound.service.js';
import { contactIdForPerson } from '../../../src/promotion/person-contacts.store.js';
import { type HubEnv, startHubEnv } from '../../support/hub/hub-kit.js';
import type { Engine } from '../../support/test-env.js';

/**
 * applyRecords (many records in one lock batch, one read, one transaction) against applyRecord
 * (one record at a time, as webhooks use it): the same canonical rows, links and outbox rows,
 * on the local store of both engines and on BigQuery; and a write that lands between the
 * batch's read and its write is kept.
 */
const CASES: [Engine, 'local' | 'bigquery'][] = [
  ['sqlite', 'local'],
  ['postgres', 'local'],
  ['postgres', 'bigquery'],
];

describe.each(CASES)('a batch of records through the contact hub (%s, %s canonical)', (engine, canonical) => {
  let h: HubEnv;
  beforeAll(async () => {
    h = await startHubEnv({ engine, canonical, workers: 0 });
  }, 60_000);
  afterAll(async () => h?.stop());

  const idOf = (externalId: string) => contactIdForPerson(externalId);
  /** The records of one round carry one time, so both paths date their rows alike. */
  let roundAt = '';
  const round = () => void (roundAt = new Date(h.clock.now() - 100).toISOString());
  const record = (tag: string, n: number, over: Partial<SystemContact['fields']> = {}): SystemContact => ({
    system: 'kith',
    externalId: `${tag}-${n}`,
    contactId: idOf(`${tag}-${n}`),
    fields: { canonical_name: `Person ${n}`, first_name: `Person ${n}`, last_name: 'Example', emails: [`p${n}@example.org`], llm_context: { closeness_level: n % 10 }, ...over },
    updatedAt: roundAt,
    deletedAt: null,
  });

  /** What the hub stored for these records, with the records' own ids taken out (so two runs compare). */
  const rowsOf = async (tag: string, ns: readonly number[]) => {
    const out: unknown[] = [];
    const stored = await h.hub.systems.canonical.getMany(ns.map((n) => idOf(`${tag}-${n}`)));
    for (const n of ns) {
      const id = idOf(`${tag}-${n}`);
      const { contact_id, ...c } = stored.get(id) ?? ({ contact_id: id } as CanonicalContact);
      expect(contact_id).toBe(id);
      const links = await h.db.db.all<Record<string, unknown>>('SELECT system, external_id, last_hash, last_version, last_synced_at FROM contact_links WHERE contact_id = ? ORDER BY system', [id]);
      const outbox = await h.db.db.all<Record<string, unknown>>('SELECT target, version, enqueued_at, done_at, attempts FROM contact_outbox WHERE contact_id = ? ORDER BY target', [id]);
      out.push({
        n,
        c,
        links: links.map((l) => ({ ...l, external_id: String(l.external_id).replace(`${tag}-`, '') })),
        // enqueued_at is the processing time (each path's own moment): only its presence compares.
        outbox: outbox.map((o) => ({ ...o, version: Number(o.version), enqueued_at: Number(o.enqueued_at) > 0 })),
      });
    }
    return out;
  };
  const actions = (rs: readonly InboundOutcome[]) => rs.map((r) => r.action);
  const oneByOne = async (recs: readonly SystemContact[]) => {
    const out: InboundOutcome[] = [];
    for (const r of recs) out.push(await applyRecord(h.hub, r, { fanout: false }));
    return out;
  };

  it('writes the same canonical records, links and outbox rows as the single path, and decides each record the same', async () => {
    round();
    const round1 = (tag: string) => [1, 2, 3, 4].map((n) => record(tag, n));
    const single1 = await oneByOne(round1('single'));
    const batch1 = await applyRecords(h.hub, round1('batch'), { fanout: false });
    expect(actions(single1)).toEqual(['created', 'created', 'created', 'created']);
    expect(actions(batch1)).toEqual(actions(single1));

    await h.clock.advance(1_000);
    round();
    // An update (kith owns llm_context; job_title is empty so it is taken), Kith's own last record again (an echo), a new contact.
    const round2 = (tag: string) => [record(tag, 1, { llm_context: { closeness_level: 9 }, job_title: 'Engineer' }), record(tag, 2), record(tag, 5)];
    const single2 = await oneByOne(round2('single'));
    const batch2 = await applyRecords(h.hub, round2('batch'), { fanout: false });
    expect(actions(single2)).toEqual(['updated', 'echo', 'created']);
    expect(actions(batch2)).toEqual(actions(single2));

    // Delivered again: nothing more is written by either path.
    expect(actions(await applyRecords(h.hub, round2('batch'), { fanout: false }))).toEqual(['echo', 'echo', 'echo']);

    const single = await rowsOf('single', [1, 2, 3, 4, 5]);
    const batch = await rowsOf('batch', [1, 2, 3, 4, 5]);
    expect(batch).toEqual(single);
    // The rows are really there: versions, links of the source, pending targets.
    expect(single[0]).toMatchObject({ c: { job_title: 'Engineer', llm_context: { closeness_level: 9 }, sync_metadata: { version: 2, last_updated_by: 'kith' } } });
    expect((single[0] as { links: unknown[] }).links).toEqual([expect.objectContaining({ system: 'kith', external_id: '1', last_version: 2 })]);
    expect((single[0] as { outbox: { version: number; done_at: unknown }[] }).outbox.length).toBeGreaterThanOrEqual(2);
    expect((single[0] as { outbox: { version: number; done_at: unknown }[] }).outbox.every((o) => o.version === 2 && o.done_at === null)).toBe(true);
  });

  it('a write to one contact between the batch’s read and its write is kept: the batch re-reads and merges onto it', async () => {
    const ns = [11, 12, 13];
    round();
    await applyRecords(h.hub, ns.map((n) => record('race', n)), { fanout: false });
    await h.clock.advance(1_000);
    round();
    const target = idOf('race-12');
    const store = h.hub.systems.canonical;
    const read = store.getMany.bind(store);
    let meanwhile: CanonicalContact | undefined;
    // Another writer (outside the hub's locks) stores its edit right after the batch read the records.
    store.getMany = async (ids) => {
      const got = await read(ids);
      const c = got.get(target);
      if (!meanwhile && c) {
        meanwhile = { ...c, notes: 'written meanwhile', sync_metadata: { version: c.sync_metadata.version + 1, last_updated: new Date(h.clock.now() - 600).toISOString(), last_updated_by: 'twenty' } };
        await store.put(meanwhile, c.sync_metadata.version);
      }
      return got;
    };
    let out: InboundOutcome[];
    try {
      out = await applyRecords(h.hub, ns.map((n) => record('race', n, { llm_context: { closeness_level: n - 4 } })), { fanout: false });
    } finally {
      Reflect.deleteProperty(store, 'getMany');
    }
    expect(meanwhile).toBeDefined();
    expect(actions(out)).toEqual(['updated', 'updated', 'updated']);
    const after = await read(ns.map((n) => idOf(`race-${n}`)));
    expect(after.get(target)).toMatchObject({ notes: 'written meanwhile', llm_context: { closeness_level: 8 }, sync_metadata: { version: 3 } });
    expect(after.get(idOf('race-11'))).toMatchObject({ notes: null, llm_context: { closeness_level: 7 }, sync_metadata: { version: 2 } });
    expect(after.get(idOf('race-13'))).toMatchObject({ llm_context: { closeness_level: 9 }, sync_metadata: { version: 2 } });
  });
});
