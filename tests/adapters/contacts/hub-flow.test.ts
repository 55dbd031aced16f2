import { afterEach, describe, expect, it } from 'vitest';
import type { SystemContact } from '../../../src/hub/ports/contact-system.js';
import { findLinkByExternalId, recordLink } from '../../../src/hub/stores/contact-links.store.js';
import { markPending, markPropagated, pendingByTarget } from '../../../src/hub/stores/contact-outbox.store.js';
import { conflictSide, countOpenConflicts, recordConflict } from '../../../src/hub/stores/sync-conflicts.store.js';
import { hashForSystem, hashSystemFields, projectFields } from '../../../src/hub/domain/contact-content.js';
import { decideIncoming } from '../../../src/hub/domain/contact-merge.js';
import { isEcho } from '../../../src/hub/domain/echo-detector.js';
import { defaultOwnershipFor } from '../../../src/hub/domain/field-ownership.js';

/** The default table of a deployment whose CRM is Twenty. */
const TWENTY_CRM = defaultOwnershipFor(['twenty']);
import { LocalCanonicalStore } from '../../../src/systems/local/local-canonical.store.js';
import { LocalContactSystem } from '../../../src/systems/local/local-contact-system.js';
import { ENGINES, freshDb, type TestDb } from '../../support/test-env.js';
import { contact, ID1, ID2 } from '../../support/contacts/contact-fixtures.js';

/** Fields a Twenty-like system holds (no llm_context). */
const TWENTY = ['canonical_name', 'first_name', 'last_name', 'emails', 'phones', 'company', 'job_title', 'category_code', 'subcategory_code', 'notes'] as const;

describe.each(ENGINES)('the reverse path composed from these parts, on %s', (engine) => {
  let t: TestDb;
  afterEach(async () => t?.dispose());

  it('edit arrives → canonical updated once; our own write echoing back → no write; tie → one conflict', async () => {
    t = await freshDb(engine);
    const store = new LocalCanonicalStore(t.db);
    const c0 = contact({ llm_context: { closeness_level: 6 } });
    await store.put(c0);
    await recordLink(t.db, { contactId: ID1, system: 'twenty', externalId: 'tw-1', hash: hashForSystem(c0, TWENTY), version: 3, at: 1 });

    const handle = async (rec: SystemContact, now: string) => {
      const link = await findLinkByExternalId(t.db, rec.system, rec.externalId);
      if (isEcho(hashSystemFields(rec.fields, rec.deletedAt), link, rec.version)) return 'echo';
      const current = await store.get(link!.contactId);
      const d = decideIncoming(current, { ...rec, contactId: link!.contactId }, TWENTY_CRM, now);
      if (d.action === 'create' || d.action === 'update') {
        await store.put(d.contact, current?.sync_metadata.version ?? 0);
        await markPending(t.db, d.contact.contact_id, d.contact.sync_metadata.version, ['supabase', 'twenty'], Date.parse(now));
      }
      if (d.action === 'conflict') await recordConflict(t.db, { contactId: current!.contact_id, a: conflictSide(current!), b: conflictSide(rec), reason: 'tie', now: Date.parse(now) });
      return d.action;
    };

    const edit: SystemContact = { system: 'twenty', externalId: 'tw-1', fields: { ...projectFields(c0, TWENTY), job_title: 'Countess' }, updatedAt: '2026-01-11T00:00:00Z', deletedAt: null };
    expect(await handle(edit, '2026-01-11T00:00:01.000Z')).toBe('update');
    expect(await handle(edit, '2026-01-11T00:00:02.000Z')).toBe('unchanged'); // redelivered webhook
    const c1 = (await store.get(ID1))!;
    expect(c1).toMatchObject({ job_title: 'Countess', llm_context: { closeness_level: 6 }, sync_metadata: { version: 4, last_updated_by: 'twenty' } });

    // Propagation writes v4 to Twenty and records what it wrote; Twenty's webhook for it is an echo.
    await recordLink(t.db, { contactId: ID1, system: 'twenty', externalId: 'tw-1', hash: hashForSystem(c1, TWENTY), version: 4, at: 2 });
    await markPropagated(t.db, ID1, 'twenty', 4, 3);
    const echo: SystemContact = { ...edit, fields: projectFields(c1, TWENTY), updatedAt: '2026-01-11T00:00:05Z' };
    expect(await handle(echo, '2026-01-11T00:00:06.000Z')).toBe('echo');
    expect((await store.get(ID1))!.sync_metadata.version).toBe(4);
    expect(await pendingByTarget(t.db)).toEqual({ supabase: { pending: 1, oldestEnqueuedAt: Date.parse('2026-01-11T00:00:01.000Z') } });

    // Same version and same instant as canonical, different content: recorded once, never written.
    const tie: SystemContact = { ...edit, fields: { ...edit.fields, company: 'Rival' }, version: 4, updatedAt: c1.sync_metadata.last_updated };
    expect(await handle(tie, '2026-01-11T00:00:07.000Z')).toBe('conflict');
    expect(await handle(tie, '2026-01-11T00:00:08.000Z')).toBe('conflict');
    expect(await countOpenConflicts(t.db)).toBe(1);
    expect((await store.get(ID1))!.company).toBe('Analytical Engines');
  });

  it('a batch naming one contact twice keeps the last write', async () => {
    t = await freshDb(engine);
    const sys = new LocalContactSystem(t.db);
    const out = await sys.upsertMany([contact(), contact({ contact_id: ID2 }), contact({ company: 'Later', sync_metadata: { version: 4 } })]);
    expect(out.map((o) => o.action)).toEqual(['created', 'created', 'updated']);
    expect((await sys.get({ contactId: ID1 }))!.fields.company).toBe('Later');
    expect((await sys.listChanged(undefined, 10)).contacts.map((c) => c.contactId)).toEqual([ID2, ID1]);
  });
});
