import { describe, expect, it } from 'vitest';
import { loadTwentyConfig, twentyMapping } from '../../../../src/config/twenty.config.js';
import { categoryFromText } from '../../../../src/hub/domain/category-code.js';
import { fromTwentyPerson, toTwentyPerson, twentyFieldKeys, twentyView } from '../../../../src/systems/twenty/person.mapper.js';
import { twentyPerson } from '../../../../src/systems/twenty/twenty-person.js';
import { makeContact } from '../../../support/systems/twenty/contact-fixture.js';

describe("Twenty's category field (TWENTY_CATEGORY_FIELD)", () => {
  const m = { categoryField: 'kithCategory' };

  it('writes the subcategory (or the category) into the named custom field and reads it back', () => {
    const c = makeContact({ category_code: 'G', subcategory_code: 'G.2' });
    expect(toTwentyPerson(c, null, undefined, m).kithCategory).toBe('G.2');
    expect(toTwentyPerson({ ...c, subcategory_code: null }, null, undefined, m).kithCategory).toBe('G');
    expect(toTwentyPerson({ ...c, category_code: null, subcategory_code: null }, null, undefined, m).kithCategory).toBe('');
    const p = twentyPerson.parse({ id: 'x', updatedAt: '2026-01-01T00:00:00Z', kithCategory: 'B.close' });
    expect(fromTwentyPerson(p, null, m).fields).toMatchObject({ category_code: 'B', subcategory_code: 'B.close' });
    expect(twentyView(c, m)).toMatchObject({ category_code: 'G', subcategory_code: 'G.2' });
    expect(twentyFieldKeys(m)).toContain('category_code');
  });

  it('without it, categories stay out of Twenty as before', () => {
    const c = makeContact({ category_code: 'G', subcategory_code: null });
    expect(toTwentyPerson(c, null)).not.toHaveProperty('kithCategory');
    expect(twentyView(c)).not.toHaveProperty('category_code');
    expect(twentyFieldKeys()).not.toContain('category_code');
  });

  it('reads a text that is no code as no category', () => {
    expect(categoryFromText('zebra')).toEqual({ category_code: null, subcategory_code: null });
    expect(categoryFromText(' X ')).toEqual({ category_code: 'X', subcategory_code: null });
  });

  it('names the variable of a bad field name', () => {
    const env = { TWENTY_API_URL: 'http://127.0.0.1:1', TWENTY_API_KEY: 'k', TWENTY_CATEGORY_FIELD: 'Kith Category' };
    expect(() => loadTwentyConfig(env)).toThrow(/TWENTY_CATEGORY_FIELD/);
    expect(() => twentyMapping(env)).toThrow(/TWENTY_CATEGORY_FIELD/);
    expect(twentyMapping({ TWENTY_CATEGORY_FIELD: 'kithCategory' })).toEqual(m);
    expect(loadTwentyConfig({ ...env, TWENTY_CATEGORY_FIELD: 'kithCategory' }).categoryField).toBe('kithCategory');
  });
});
