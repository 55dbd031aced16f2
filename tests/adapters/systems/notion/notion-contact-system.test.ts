import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotionContactSystem } from '../../../../src/systems/notion/notion-contact-system.js';
import { openNotionPages } from '../../../../src/systems/notion/notion-pages.js';
import { linkHashFor, linkHashOf } from '../../../../src/hub/domain/link-hash.js';
import { type NotionEmulator, startNotionEmulator } from '../../../emulators/notion/notion-emulator.js';
import { contact, ID1, ID2, ID3 } from '../../../support/contacts/contact-fixtures.js';
import { NOTION_CONTACTS_SCHEMA } from '../../../support/systems/notion/notion-contacts.js';
import { parseContactProperties } from '../../../../src/config/notion.config.js';

describe('NotionContactSystem through the SDK against the emulator', () => {
  let emu: NotionEmulator;
  let sys: NotionContactSystem;
  beforeAll(async () => {
    emu = await startNotionEmulator({ rateLimit: false });
    const ds = emu.createDataSource('Contacts', NOTION_CONTACTS_SCHEMA);
    sys = new NotionContactSystem(openNotionPages({ token: emu.token, baseUrl: emu.url }), ds);
  });
  afterAll(async () => {
    await emu.stop();
  });

  it('creates once however often the upsert is repeated, and reads back what view() promised', async () => {
    const c = contact({ contact_id: ID1, notes: 'Met at the conference\nLikes tea' });
    const [first] = await sys.upsertMany([c]);
    expect(first).toMatchObject({ contactId: ID1, action: 'created' });
    // A retried create (no link known) finds the page by its Kith ID.
    expect((await sys.upsertMany([c]))[0]).toEqual({ contactId: ID1, externalId: first!.externalId, action: 'unchanged' });
    expect(emu.pagesIn(sys.dataSourceId)).toHaveLength(1);
    const copy = (await sys.get({ contactId: ID1 }))!;
    expect(copy).toMatchObject({ system: 'notion', contactId: ID1, externalId: first!.externalId, deletedAt: null });
    expect(copy.fields).toEqual(sys.view(c));
    expect(linkHashOf(copy)).toBe(linkHashFor(sys, c));
  });

  it('updates changed CRM fields, trashes as soft delete and restores', async () => {
    const c = contact({ contact_id: ID2, company: 'Old Co' });
    const [made] = await sys.upsertMany([c]);
    const links = new Map([[ID2, made!.externalId]]);
    expect((await sys.upsertMany([{ ...c, company: 'New Co' }], links))[0]!.action).toBe('updated');
    expect((await sys.get({ externalId: made!.externalId }))!.fields.company).toBe('New Co');
    await sys.softDelete([{ contactId: ID2, externalId: made!.externalId }], new Date().toISOString());
    expect((await sys.get({ externalId: made!.externalId }))!.deletedAt).not.toBeNull();
    expect((await sys.upsertMany([{ ...c, company: 'Back Co' }], links))[0]!.action).toBe('updated');
    const back = (await sys.get({ externalId: made!.externalId }))!;
    expect(back.deletedAt).toBeNull();
    expect(back.fields.company).toBe('Back Co');
  });

  it('lists changes since a last_edited_time cursor, re-reading the cursor’s minute so no later edit in it is lost', async () => {
    const all = await sys.listChanged(undefined, 100);
    expect(all.done).toBe(true);
    expect(all.contacts.map((c) => c.contactId).sort()).toEqual([ID1, ID2].sort());
    await emu.clock.advance(120_000);
    const id = emu.createPage(sys.dataSourceId, { Name: { title: [{ text: { content: 'Grace Hopper' } }] }, Company: { rich_text: [{ text: { content: 'Navy' } }] } });
    const next = await sys.listChanged(all.cursor, 100);
    // The new page, after the pages of the cursor's own minute read again (unchanged copies: the hub skips them).
    expect(next.contacts.at(-1)!.externalId).toBe(id);
    for (const c of next.contacts.slice(0, -1)) expect(c.updatedAt).toBe(all.cursor);
    expect(next.contacts.at(-1)).toMatchObject({ fields: { canonical_name: 'Grace Hopper', company: 'Navy' } });
    expect(next.contacts.at(-1)!.contactId).toBeUndefined();
    // Another edit within the same minute as the cursor still comes back.
    await emu.clock.advance(1000);
    emu.editPage(id, { Notes: { rich_text: [{ text: { content: 'COBOL' } }] } });
    const again = await sys.listChanged(next.cursor, 100);
    expect(again.contacts.map((c) => c.fields.notes)).toContain('COBOL');
    await expect(sys.listChanged('not a time', 10)).rejects.toThrow(/not a last_edited_time/);
  });

  it('a page with a value Notion refuses fails alone, naming the property', async () => {
    await expect(sys.upsertMany([contact({ contact_id: ID3, category_code: 'B', notes: 'x'.repeat(200_001) })])).rejects.toThrow(/"Notes" \(rich_text\)/);
  });
  it('round-trips tags and the last contact; an edit of them in Notion reads back', async () => {
    const c = contact({ contact_id: ID3, tags: ['board', 'vip'], last_contacted: '2026-02-03' });
    const [made] = await sys.upsertMany([c]);
    const copy = (await sys.get({ externalId: made!.externalId }))!;
    expect(copy.fields).toMatchObject({ tags: ['board', 'vip'], last_contacted: '2026-02-03' });
    expect(linkHashOf(copy)).toBe(linkHashFor(sys, c));
    expect((await sys.upsertMany([c], new Map([[ID3, made!.externalId]])))[0]!.action).toBe('unchanged');
    await emu.clock.advance(60_000);
    await sys.pages.update(made!.externalId, { Tags: ['vip'], 'Last contacted': { start: '2026-03-01' } });
    expect((await sys.get({ contactId: ID3 }))!.fields).toMatchObject({ tags: ['vip'], last_contacted: '2026-03-01' });
    expect((await sys.upsertMany([{ ...c, tags: [], last_contacted: null }], new Map([[ID3, made!.externalId]])))[0]!.action).toBe('updated');
    expect((await sys.get({ contactId: ID3 }))!.fields).toMatchObject({ tags: [], last_contacted: null });
  });
});

describe('NotionContactSystem with renamed properties (NOTION_CONTACT_PROPERTIES)', () => {
  it('writes and reads the data source\'s own names, LinkedIn as a url property', async () => {
    const emu = await startNotionEmulator({ rateLimit: false });
    try {
      const schema = { ...NOTION_CONTACTS_SCHEMA, Organisation: 'rich_text' as const, Labels: 'multi_select' as const, LinkedIn: 'url' as const };
      delete (schema as Record<string, unknown>).Company;
      delete (schema as Record<string, unknown>).Tags;
      const ds = emu.createDataSource('CRM', schema);
      const props = parseContactProperties('{"company": "Organisation", "tags": "Labels", "linkedin_url": "LinkedIn"}');
      const sys = new NotionContactSystem(openNotionPages({ token: emu.token, baseUrl: emu.url }), ds, props);
      const c = contact({ contact_id: ID1, company: 'Royal Society', tags: ['friend'], linkedin_url: 'https://www.linkedin.com/in/ada' });
      const [made] = await sys.upsertMany([c]);
      expect(made!.action).toBe('created');
      const page = (await sys.pages.get(made!.externalId))!;
      expect(page.properties.Organisation!.value).toBe('Royal Society');
      expect(page.properties.Labels!.value).toEqual(['friend']);
      expect(page.properties.LinkedIn).toEqual({ type: 'url', value: 'https://www.linkedin.com/in/ada' });
      const copy = (await sys.get({ contactId: ID1 }))!;
      expect(copy.fields).toMatchObject({ company: 'Royal Society', tags: ['friend'], linkedin_url: 'https://www.linkedin.com/in/ada' });
      expect(linkHashOf(copy)).toBe(linkHashFor(sys, c));
      expect((await sys.upsertMany([c]))[0]!.action).toBe('unchanged');
    } finally {
      await emu.stop();
    }
  });
});
