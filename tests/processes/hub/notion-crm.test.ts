import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncAllContacts } from '../../../src/hub/services/sweep.service.js';
import { ENGINES } from '../../support/test-env.js';
import { type HubEnv, seedContact, startHubEnv, until } from '../../support/hub/hub-kit.js';

/** Notion holds the CRM fields; Google-owned details stay Google's. */
function ownershipFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'kith-ownership-')), 'ownership.json');
  writeFileSync(file, JSON.stringify({ google: ['canonical_name', 'first_name', 'last_name', 'emails', 'phones'], notion: ['company', 'job_title', 'category_code', 'subcategory_code', 'notes'], kith: ['llm_context'] }));
  return file;
}

describe.each(ENGINES)('Notion as the CRM of the contact hub, on %s', (engine) => {
  let h: HubEnv;
  beforeAll(async () => {
    h = await startHubEnv({ engine, notion: true, extraEnv: { KITH_FIELD_OWNERSHIP: ownershipFile() } });
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
  });

  it('a canonical contact reaches Notion; a CRM edit made in Notion reaches the canonical store, Supabase and Twenty', async () => {
    const c = seedContact(1, { emails: ['ada@example.org'] });
    await h.hub.systems.canonical.put(c, 0);
    await syncAllContacts(h.hub);
    await h.settle(30_000);
    const { emu, contacts } = h.notion!;
    const page = await until(async () => emu.pagesIn(contacts).find((p) => JSON.stringify(p).includes(c.contact_id)), 'the contact in Notion');
    const pageId = String(page.id);

    await h.clock.advance(120_000);
    emu.editPage(pageId, { Company: { rich_text: [{ text: { content: 'Analytical Engines' } }] }, Notes: { rich_text: [{ text: { content: 'Met in London' } }] } });
    await syncAllContacts(h.hub);
    await h.settle(30_000);

    const canonical = await until(async () => {
      const got = await h.hub.systems.canonical.get(c.contact_id);
      return got?.company === 'Analytical Engines' ? got : undefined;
    }, 'the Notion edit in the canonical store');
    expect(canonical.notes).toBe('Met in London');
    expect(canonical.emails).toEqual(['ada@example.org']);
    const row = await until(async () => {
      const rows = await h.supabase.sql<{ company: string | null; notes: string | null }>(`SELECT company, notes FROM contacts WHERE contact_id = '${c.contact_id}'`);
      return rows[0]?.company === 'Analytical Engines' ? rows[0] : undefined;
    }, 'the Notion edit in Supabase');
    expect(row.notes).toBe('Met in London');
    const twenty = await until(async () => {
      const p = await h.hub.systems.targets.get('twenty')!.get({ contactId: c.contact_id });
      return p?.fields.company === 'Analytical Engines' ? p : undefined;
    }, 'the Notion edit in Twenty');
    expect(twenty.fields.emails).toEqual(['ada@example.org']);
    // Kith's own write to Notion did not come back as an edit: one page, still carrying the edit.
    expect(emu.pagesIn(contacts)).toHaveLength(1);
  }, 90_000);
});
