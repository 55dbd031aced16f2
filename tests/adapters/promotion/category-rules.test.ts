import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { categorizePerson } from '../../../src/promotion/categorize.service.js';
import { applyCategoryRules } from '../../../src/promotion/category-rules.service.js';
import { categoryRule } from '../../../src/promotion/promotion-config.js';
import { resolvePersonRef } from '../../../src/promotion/person-ref.js';
import { collectSource } from '../../../src/sync/collect-source.service.js';
import { ENGINES, freshDb, type TestDb } from '../../support/test-env.js';

describe.each(ENGINES)('category rules by domain, source and vault tag (%s)', (engine) => {
  let t: TestDb;
  let dir = '';
  afterEach(async () => {
    await t?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sets the code of the first matching rule, never over a manual one, and clears what no rule gives any more', async () => {
    t = await freshDb(engine);
    dir = mkdtempSync(join(tmpdir(), 'kith-vault-'));
    mkdirSync(join(dir, 'People'));
    writeFileSync(join(dir, 'People/Zoe Miller.md'), '---\nemail: zoe@example.org\ntags: [person, "#Friend"]\n---\n# Zoë\n');
    writeFileSync(join(dir, 'People/Bob Stone.md'), '---\nemail: bob@mail.acme.com\n---\n# Bob\n');
    writeFileSync(join(dir, 'People/Cy Young.md'), '---\nemail: cy@example.net\ntags: friend\n---\n# Cy\n');
    const self = { emails: ['me@example.com'], phones: [], names: [], handles: [] };
    await collectSource(t.db, { id: 'vault', type: 'vault', path: dir }, self);
    const [zoe, bob, cy] = await Promise.all(['zoe@example.org', 'bob@mail.acme.com', 'cy@example.net'].map((e) => resolvePersonRef(t.db, e)));
    await categorizePerson(t.db, cy!, 'C');
    const rules = [{ code: 'G.work', domain: 'acme.com' }, { code: 'B', tag: 'friend' }].map((r) => categoryRule.parse(r));
    expect(await applyCategoryRules(t.db, rules, 1000, [dir])).toBe(2);
    const code = async (id: string) => t.db.get('SELECT category_code, subcategory_code, category_source FROM people WHERE id = ?', [id]);
    expect(await code(zoe!)).toEqual({ category_code: 'B', subcategory_code: null, category_source: 'rule' });
    expect(await code(bob!)).toEqual({ category_code: 'G', subcategory_code: 'G.work', category_source: 'rule' });
    expect(await code(cy!)).toEqual({ category_code: 'C', subcategory_code: null, category_source: 'manual' });
    expect(await applyCategoryRules(t.db, rules, 2000, [dir])).toBe(0); // nothing new: nothing written
    expect(await applyCategoryRules(t.db, rules.slice(0, 1), 3000, [dir])).toBe(1); // the tag rule is gone
    expect(await code(zoe!)).toEqual({ category_code: null, subcategory_code: null, category_source: null });
    expect(await code(cy!)).toMatchObject({ category_code: 'C' });
  });
});
