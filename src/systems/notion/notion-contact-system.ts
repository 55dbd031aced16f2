import type { CanonicalContact } from '../../hub/domain/canonical-contact.js';
import { stableStringify } from '../../hub/domain/content-hash.js';
import { type ContactFieldKey, projectFields } from '../../hub/domain/contact-content.js';
import type { ChangePage, ContactSystem, SystemContact, UpsertOutcome } from '../../hub/ports/contact-system.js';
import { CursorInvalidError, InvalidInputError, isKithError } from '../../errors.js';
import { NOTION_CONTACT_PROPERTIES, type NotionContactProperties, notionFieldKeys, notionSystemContact, notionView, toNotionValues } from './contact.mapper.js';
import type { NotionPage, NotionPages } from './notion-pages.port.js';

/**
 * Notion as a ContactSystem of the hub, over one contacts data source. Notion chooses page ids,
 * so each page carries Kith's contact id in its "Kith ID" property: a create that is retried
 * finds the page it made and updates it instead. Notion keeps no version of Kith's (keepsVersion
 * false): Kith recognises its own writes by the content hash of `view`. Trash is the soft delete.
 *
 * Changes are read by `last_edited_time`, which Notion rounds down to the minute: the cursor is
 * that time and pages edited in the cursor's minute are read again (an unchanged copy costs the
 * hub nothing), so an edit later in the same minute is never missed. A query leaves out pages in
 * the trash: a trashed contact reaches Kith by Notion's `page.deleted` webhook or a direct read.
 */
export class NotionContactSystem implements ContactSystem {
  readonly name = 'notion' as const;
  readonly keepsVersion = false;

  private readonly fieldKeys: readonly ContactFieldKey[];

  constructor(
    readonly pages: NotionPages,
    readonly dataSourceId: string,
    /** The data source's property names (NOTION_CONTACT_PROPERTIES). */
    readonly properties: NotionContactProperties = NOTION_CONTACT_PROPERTIES,
  ) {
    this.fieldKeys = notionFieldKeys(properties);
  }

  view(c: CanonicalContact) {
    return notionView(c, this.properties);
  }

  async get(ref: { contactId?: string; externalId?: string }): Promise<SystemContact | undefined> {
    if (ref.externalId) {
      const page = await this.pages.get(ref.externalId);
      return page && page.dataSourceId === this.dataSourceId ? notionSystemContact(page, this.properties) : undefined;
    }
    if (!ref.contactId) throw new InvalidInputError('Notion get: needs contactId or externalId', 'notion_ref');
    const page = await this.findByContactId(ref.contactId);
    return page ? notionSystemContact(page, this.properties) : undefined;
  }

  async listChanged(cursor: string | undefined, limit: number): Promise<ChangePage> {
    if (cursor !== undefined && Number.isNaN(Date.parse(cursor))) throw new CursorInvalidError(`Notion cursor '${cursor}' is not a last_edited_time`, 'notion_cursor');
    const out: SystemContact[] = [];
    let done = true;
    for await (const batch of this.pages.query(this.dataSourceId, { editedSince: cursor })) {
      for (const p of batch) out.push(notionSystemContact(p, this.properties));
      const last = out.at(-1);
      // Stop at the limit, but never inside the cursor's own minute: the next call would start there again.
      if (out.length >= limit && last && last.updatedAt !== cursor) {
        done = false;
        break;
      }
    }
    return { contacts: out, cursor: out.at(-1)?.updatedAt ?? cursor, done };
  }

  async upsertMany(contacts: readonly CanonicalContact[], externalIds?: ReadonlyMap<string, string>): Promise<UpsertOutcome[]> {
    const outcomes: UpsertOutcome[] = [];
    for (const c of contacts) {
      const known = externalIds?.get(c.contact_id);
      let page = known ? await this.pages.get(known) : undefined;
      if (page && page.dataSourceId !== this.dataSourceId) page = undefined;
      page ??= await this.findByContactId(c.contact_id);
      const wantTrash = c.deleted_at != null;
      if (!page) {
        if (wantTrash) {
          outcomes.push({ contactId: c.contact_id, externalId: known ?? '', action: 'unchanged' });
          continue;
        }
        const created = await this.pages.create(this.dataSourceId, toNotionValues(c, c.contact_id, this.properties));
        outcomes.push({ contactId: c.contact_id, externalId: created.id, action: 'created' });
        continue;
      }
      const current = notionSystemContact(page, this.properties);
      const same = stableStringify(projectFields(current.fields, this.fieldKeys)) === stableStringify(projectFields(this.view(c), this.fieldKeys));
      const ownId = current.contactId === c.contact_id;
      if (same && ownId && wantTrash === page.inTrash) {
        outcomes.push({ contactId: c.contact_id, externalId: page.id, action: 'unchanged' });
        continue;
      }
      // A trashed page cannot be edited: out of the trash first, into it last.
      if (page.inTrash && !wantTrash) await this.pages.update(page.id, {}, { inTrash: false });
      if (!same || !ownId) await this.pages.update(page.id, toNotionValues(c, c.contact_id, this.properties));
      if (wantTrash && !page.inTrash) await this.pages.update(page.id, {}, { inTrash: true });
      outcomes.push({ contactId: c.contact_id, externalId: page.id, action: 'updated' });
    }
    return outcomes;
  }

  async softDelete(refs: readonly { contactId: string; externalId?: string }[], _at: string): Promise<void> {
    for (const r of refs) {
      const id = r.externalId ?? (await this.findByContactId(r.contactId))?.id;
      if (!id) continue; // never there: already "deleted"
      try {
        await this.pages.update(id, {}, { inTrash: true });
      } catch (err) {
        if (!(isKithError(err) && err.kind === 'not_found')) throw err;
      }
    }
  }

  /** The page carrying this contact id, in the trash or not. */
  private async findByContactId(contactId: string): Promise<NotionPage | undefined> {
    if (!this.pages.findByText) throw new InvalidInputError('Notion contacts: the pages client cannot look a page up by property', 'notion_find');
    const found = await this.pages.findByText(this.dataSourceId, this.properties.kith_id, contactId);
    return found.find((p) => !p.inTrash) ?? found[0];
  }
}
