import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotionContactSystem } from '../../../../src/systems/notion/notion-contact-system.js';
import { openNotionPages } from '../../../../src/systems/notion/notion-pages.js';
import { linkHashFor, linkHashOf } from '../../../../src/hub/domain/link-hash.js';
import { type NotionEmulator, startNotionEmulator } from '../../../emulators/notion/notion-emulator.js';
import { contact, ID1, ID2, ID3 } from '../../../support/contacts/contact-fixtures.js';
import { NOTION_CONTACTS_SCHEMA } from '../../../support/systems/notion/notion-contacts.js';

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
});
