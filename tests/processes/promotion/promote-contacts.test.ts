import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestInteractions, linkEntities, mergePeople, unmerge } from '../../../src/people/index.js';
import { discoverRelationships } from '../../../src/people/relationships.service.js';
import { computeStrengths } from '../../../src/people/strengths.service.js';
import { collectSource } from '../../../src/sync/collect-source.service.js';
import { type KithConfig, loadKithConfig } from '../../../src/sync/kith-config.js';
import { promoteContacts } from '../../../src/promotion/promote.service.js';
import { contactIdForPerson, getPersonContacts } from '../../../src/promotion/person-contacts.store.js';
import { isAddressBook, isSourceType } from '../../../src/sources/registry.js';
import { localContactMeta } from '../../../src/systems/local/contacts-table.js';
import { type HubEnv, startHubEnv, supabaseWrites, twentyWrites, until } from '../../support/hub/hub-kit.js';
import type { Engine } from '../../support/test-env.js';
import { runKith } from '../../support/cli.js';
import { categorizePerson } from '../../../src/promotion/categorize.service.js';
import { editLocalContact } from '../../../src/hub/services/local-edit.service.js';
import { resolvePersonRef } from '../../../src/promotion/person-ref.js';

/**
 * The bundled examples collected, linked and scored in process, then promoted through a real
 * contact hub (emulated Twenty and Supabase, BigQuery canonical on PostgreSQL, the local
 * database canonical on SQLite) with a real `kith worker` process doing the fan-out.
 */
const CASES: [Engine, 'local' | 'bigquery'][] = [
  ['sqlite', 'local'],
  ['postgres', 'bigquery'],
];

describe.each(CASES)('promotion of the examples’ people to contacts (%s, %s canonical)', (engine, canonical) => {
  let h: HubEnv;
  let config: KithConfig;
  let bookPeople: string[];

  beforeAll(async () => {
    h = await startHubEnv({ engine, canonical, twentyCustomFields: ['kithCategory'], extraEnv: { TWENTY_CATEGORY_FIELD: 'kithCategory' } });
    config = loadKithConfig(resolve(import.meta.dirname, '../../../examples/kith.config.yaml'));
    for (const s of config.sources) if (isSourceType(s.type) && s.type !== 'drive-export') await collectSource(h.db.db, s, config.self);
    await linkEntities(h.db.db);
    await discoverRelationships(h.db.db);
    await computeStrengths(h.db.db);
    const book = await h.db.db.all<{ person_id: string; source: string }>('SELECT DISTINCT se.person_id, se.source FROM source_entities se JOIN people p ON p.id = se.person_id WHERE p.merged_into IS NULL');
    bookPeople = [...new Set(book.filter((b) => isSourceType(b.source) && isAddressBook(b.source)).map((b) => b.person_id))].sort();
  }, 90_000);
  afterAll(async () => h?.stop());

  const sbRow = async (contactId: string) => (await h.supabase.sql<Record<string, unknown>>('SELECT * FROM contacts WHERE contact_id = $1', [contactId]))[0];
  const promote = () => promoteContacts(h.hub, { rule: config.contacts.promote, categories: config.categories });

  it('every address-book person becomes a canonical contact linked by person id, with llm_context, in every system', async () => {
    expect(bookPeople.length).toBeGreaterThan(3);
    const r = await promote();
    expect(r.failed).toBe(0);
    expect(r.created).toBeGreaterThanOrEqual(bookPeople.length);
    await h.settle(30_000);
    const pcs = await getPersonContacts(h.db.db, bookPeople);
    for (const id of bookPeople) {
      const contactId = contactIdForPerson(id);
      expect(pcs.get(id)?.contact_id).toBe(contactId);
      const c = await h.hub.systems.canonical.get(contactId);
      expect(c?.llm_context?.graph?.person_id).toBe(id);
      expect((await sbRow(contactId))?.llm_context).toMatchObject({ graph: { person_id: id } });
      expect(h.twenty.getPerson(contactId)).toBeTruthy();
      const local = await until(() => localContactMeta(h.db.db, contactId), `local row of ${id}`);
      expect(local.personId).toBe(id);
    }
    // Someone with interactions: the context counts them and lists the last ones.
    const ada = (await h.hub.systems.canonical.findByEmail('ada@example.com'))[0]!;
    expect(ada.llm_context?.graph?.total_interactions).toBeGreaterThan(0);
    expect(ada.llm_context?.graph?.recent?.length).toBeGreaterThan(0);
  });

  it('a second promotion writes nothing; a change to one person re-promotes only that person', async () => {
    const sb = supabaseWrites(h.supabase);
    const tw = twentyWrites(h.twenty);
    const again = await promote();
    expect(again).toMatchObject({ created: 0, updated: 0, merged: 0, restored: 0, failed: 0 });
    await h.settle();
    expect([supabaseWrites(h.supabase), twentyWrites(h.twenty)]).toEqual([sb, tw]);

    const who = bookPeople[0]!;
    // Later than any of theirs (a recurring meeting of the examples may lie ahead).
    const latest = Number((await h.db.db.get<{ at: number }>('SELECT MAX(occurred_at) AS at FROM interactions WHERE person_id = ?', [who]))?.at ?? Date.now());
    await ingestInteractions(h.db.db, [{ personId: who, sourceType: 'gmail', externalId: 'promotion-test-1', occurredAt: latest + 60_000, title: 'Lunch next week?', conversationKey: 'promotion-test' }]);
    const r = await promote();
    expect(r).toMatchObject({ created: 0, updated: 1, failed: 0 });
    await h.settle();
    const c = (await h.hub.systems.canonical.get(contactIdForPerson(who)))!;
    expect(c.llm_context?.graph?.recent?.[0]?.title).toBe('Lunch next week?');
    expect(((await sbRow(c.contact_id))!.llm_context as { graph: { recent: { title: string }[] } }).graph.recent[0]!.title).toBe('Lunch next week?');
  });

  it('a merge leaves one live contact in every system, pointing the other at it; an unmerge restores both', async () => {
    const [keep, other] = bookPeople.slice(-2) as [string, string];
    const kept = contactIdForPerson(keep);
    const gone = contactIdForPerson(other);
    const m = await mergePeople(h.db.db, keep, [other]);
    const r = await promote();
    expect(r).toMatchObject({ merged: 1, failed: 0 });
    await h.settle();
    expect((await h.hub.systems.canonical.get(gone))!.deleted_at).not.toBeNull();
    expect((await h.hub.systems.canonical.get(kept))!.deleted_at).toBeNull();
    expect((await getPersonContacts(h.db.db, [other])).get(other)!.merged_into_contact).toBe(kept);
    await until(async () => (await sbRow(gone))?.deleted_at != null, 'the soft delete to reach Supabase');
    await until(async () => h.twenty.getPerson(gone)?.deletedAt != null, 'the soft delete to reach Twenty');
    expect((await sbRow(kept))!.deleted_at).toBeNull();
    await until(async () => (await h.db.db.get<{ deleted_at: number | null }>('SELECT deleted_at FROM contacts WHERE contact_id = ?', [gone]))?.deleted_at != null, 'the local soft delete');

    await unmerge(h.db.db, m.auditId);
    const back = await promote();
    expect(back).toMatchObject({ restored: 1, failed: 0 });
    await h.settle();
    expect((await h.hub.systems.canonical.get(gone))!.deleted_at).toBeNull();
    await until(async () => (await sbRow(gone))?.deleted_at == null, 'the restore to reach Supabase');
    await until(async () => h.twenty.getPerson(gone)?.deletedAt == null, 'the restore to reach Twenty');
    expect((await getPersonContacts(h.db.db, [other])).get(other)!.merged_into_contact).toBeNull();
  });

  it('kith contacts show gives the person link and llm_context; kith prompt lists recent interactions, for several at once', async () => {
    const show = await runKith(['contacts', 'show', 'ada@example.com', '--json'], h.env);
    expect(show.code, show.stderr).toBe(0);
    const data = JSON.parse(show.stdout) as { personId: string; contact: { llm_context: { graph: { person_id: string; total_interactions: number } } } };
    const ada = await resolvePersonRef(h.db.db, 'ada@example.com');
    expect(data.personId).toBe(ada);
    expect(data.contact.llm_context.graph).toMatchObject({ person_id: ada });
    const latest = (await h.db.db.get<{ title: string }>('SELECT title FROM interactions WHERE person_id = ? ORDER BY occurred_at DESC LIMIT 1', [ada]))!.title;
    const one = await runKith(['prompt', 'ada@example.com'], h.env);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toContain('Recent interactions:');
    expect(one.stdout).toContain(latest.replace(/\s+/g, ' ').trim());
    expect(one.stdout).toContain('### What Kith has seen');
    const other = bookPeople.find((p) => p !== ada)!;
    const two = await runKith(['prompt', 'ada@example.com', other, '--json'], h.env);
    expect(two.code, two.stderr).toBe(0);
    expect((JSON.parse(two.stdout) as { person_id: string }[]).map((p) => p.person_id)).toEqual([ada, other]);
  });

  it('a category set on a person travels to its contact in Supabase, the local database and Twenty (its category field)', async () => {
    const who = bookPeople[1]!;
    const contactId = contactIdForPerson(who);
    await categorizePerson(h.db.db, who, 'G.2');
    const r = await promoteContacts(h.hub, { personIds: [who], rule: config.contacts.promote });
    expect(r).toMatchObject({ updated: 1, failed: 0 });
    expect(await h.hub.systems.canonical.get(contactId)).toMatchObject({ category_code: 'G', subcategory_code: 'G.2' });
    await until(async () => (await sbRow(contactId))?.category_code === 'G', 'the category to reach Supabase');
    expect((await sbRow(contactId))!.subcategory_code).toBe('G.2');
    await until(async () => h.twenty.getPerson(contactId)?.kithCategory === 'G.2', 'the category to reach Twenty');
    await until(async () => (await h.db.db.get<{ category_code: string | null }>('SELECT category_code FROM contacts WHERE contact_id = ?', [contactId]))?.category_code === 'G', 'the local copy');
    const person = await h.db.db.get<{ category_code: string; category_source: string }>('SELECT category_code, category_source FROM people WHERE id = ?', [who]);
    expect(person).toEqual({ category_code: 'G', category_source: 'manual' });
  });

  it('an edit in the local database goes through the canonical store to every system; an owned field is kept and named', async () => {
    const contactId = contactIdForPerson(bookPeople[2]!);
    const before = (await h.hub.systems.canonical.get(contactId))!;
    const r = await editLocalContact(h.hub, contactId, { phones: ['+15550109999'] });
    expect(r.applied).toEqual(['phones']);
    expect(r.version).toBe(before.sync_metadata.version + 1);
    await h.settle();
    expect((await h.hub.systems.canonical.get(contactId))!.phones).toEqual(['+15550109999']);
    await until(async () => ((await sbRow(contactId))?.phones as string[] | undefined)?.[0] === '+15550109999', 'the edit to reach Supabase');
    await until(async () => (h.twenty.getPerson(contactId)?.phones as { primaryPhoneNumber?: string })?.primaryPhoneNumber === '5550109999', 'the edit to reach Twenty');
    await until(async () => (await h.db.db.get<{ phones: string }>('SELECT phones FROM contacts WHERE contact_id = ?', [contactId]))?.phones.includes('+15550109999'), 'the local copy');
    // The same edit again: nothing changes.
    expect((await editLocalContact(h.hub, contactId, { phones: ['+15550109999'] })).applied).toEqual([]);
    // Twenty owns job_title here: a local edit of a filled job title is kept out, and says by whom.
    await editLocalContact(h.hub, contactId, { job_title: 'Navigator' });
    const owned = await editLocalContact(h.hub, contactId, { job_title: 'Captain' });
    expect(owned.rejected).toEqual([{ field: 'job_title', owner: 'twenty' }]);
    await expect(editLocalContact(h.hub, contactId, { category_code: 'Q' as never })).rejects.toThrow(/category_code/);
  });

  it('the people and contacts commands carry a merge, an unmerge, a category and an edit to the contacts at once', async () => {
    const env = { ...h.env, KITH_CONFIG: resolve(import.meta.dirname, '../../../examples/kith.config.yaml') };
    const [keep, other] = bookPeople.slice(3, 5) as [string, string];
    const gone = contactIdForPerson(other);
    const merged = await runKith(['people', 'merge', keep, other, '--json'], env);
    expect(merged.code, merged.stderr).toBe(0);
    expect((await h.hub.systems.canonical.get(gone))!.deleted_at).not.toBeNull();
    const show = await runKith(['contacts', 'show', gone], env);
    expect(show.stdout).toContain(`merged into contact ${contactIdForPerson(keep)}`);
    const back = await runKith(['people', 'unmerge', (JSON.parse(merged.stdout) as { auditId: string }).auditId], env);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toMatch(/Contacts: .*1 restored/);
    expect((await h.hub.systems.canonical.get(gone))!.deleted_at).toBeNull();

    const cat = await runKith(['people', 'categorize', keep, 'A.cousins'], env);
    expect(cat.code, cat.stderr).toBe(0);
    expect(cat.stdout).toContain('Carried to their contact');
    expect(await h.hub.systems.canonical.get(contactIdForPerson(keep))).toMatchObject({ category_code: 'A', subcategory_code: 'A.cousins' });
    expect((await runKith(['people', 'categorize', keep, 'Q'], env)).stderr).toMatch(/category: "Q" is not a code/);

    const edit = await runKith(['contacts', 'edit', contactIdForPerson(keep), '--name', 'Renamed Person', '--json'], env);
    expect(edit.code, edit.stderr).toBe(0);
    expect(JSON.parse(edit.stdout)).toMatchObject({ applied: ['canonical_name'] });
    expect((await h.hub.systems.canonical.get(contactIdForPerson(keep)))!.canonical_name).toBe('Renamed Person');
    const bad = await runKith(['contacts', 'edit', 'nobody@example.invalid', '--name', 'X'], env);
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringMatching(/no contact has the email nobody@example.invalid/)]);
    const unknown = await runKith(['contacts', 'edit', contactIdForPerson(keep), '--colour', 'red'], env);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/unknown option '--colour'/);
    await h.settle();
  }, 150_000);
});
