import { afterEach, describe, expect, it } from 'vitest';
import { TwentyClient } from '../../../../src/systems/twenty/twenty-client.js';
import { TwentyContactSystem } from '../../../../src/systems/twenty/twenty-contact-system.js';
import { DEFAULT_TWENTY_CATEGORY_FIELD, ensureTwentyCategoryField } from '../../../../src/systems/twenty/category-field.setup.js';
import { startTwentyEmulator, type TwentyEmulator } from '../../../emulators/twenty/twenty-emulator.js';
import { makeContact } from '../../../support/systems/twenty/contact-fixture.js';

let emu: TwentyEmulator | undefined;
let client: TwentyClient | undefined;
afterEach(async () => {
  await client?.close();
  await emu?.stop();
  emu = client = undefined;
});

describe('the Twenty category field, set up through the metadata API', () => {
  it('is created once on people when missing; then the category code travels and reads back', async () => {
    emu = await startTwentyEmulator();
    client = new TwentyClient({ apiUrl: emu.url, apiKey: emu.apiKey, rateLimit: { limit: 1000, windowMs: 60_000 } });
    expect((await client.personObject()).fields).not.toContain(DEFAULT_TWENTY_CATEGORY_FIELD);
    expect(await ensureTwentyCategoryField(client)).toEqual({ field: 'kithCategory', action: 'created' });
    expect(await ensureTwentyCategoryField(client)).toEqual({ field: 'kithCategory', action: 'exists' });
    const creates = emu.requests.filter((r) => r.method === 'POST' && r.path === '/rest/metadata/fields');
    expect(creates).toHaveLength(1);
    expect((await client.personObject()).fields).toContain('kithCategory');

    const system = new TwentyContactSystem(client, { categoryField: 'kithCategory' });
    const c = makeContact({ category_code: 'G', subcategory_code: 'G2' });
    expect((await system.upsertMany([c]))[0]!.action).toBe('created');
    expect(emu.getPerson(c.contact_id)!.kithCategory).toBe('G2');
    expect((await system.get({ contactId: c.contact_id }))!.fields).toMatchObject({ category_code: 'G', subcategory_code: 'G2' });
  });

  it('leaves a field made by hand alone, under the name TWENTY_CATEGORY_FIELD gives', async () => {
    emu = await startTwentyEmulator({ customPersonFields: ['relationshipCode'] });
    client = new TwentyClient({ apiUrl: emu.url, apiKey: emu.apiKey, rateLimit: { limit: 1000, windowMs: 60_000 } });
    expect(await ensureTwentyCategoryField(client, 'relationshipCode')).toEqual({ field: 'relationshipCode', action: 'exists' });
    expect(emu.requests.some((r) => r.path === '/rest/metadata/fields')).toBe(false);
  });
});
