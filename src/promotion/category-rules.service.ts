import type { Db } from '../db/db.js';
import { categoryByRules } from './category-rules.js';
import { entitySources, livePeople } from './person-graph.reader.js';
import type { CategoryRule } from './promotion-config.js';
import { decodeSources } from '../domain/people/source-mapping.js';

/**
 * Apply the configuration's category rules to every live person whose code was not set by hand
 * (`kith people categorize`): a matching rule sets its code, a code a rule set that no rule gives
 * any more is cleared. Only rows that change are written (and their `updated_at` moved, so their
 * contact is promoted again). Returns how many people changed.
 */
export async function applyCategoryRules(db: Db, rules: readonly CategoryRule[], now = Date.now()): Promise<number> {
  const [rows, sources] = await Promise.all([livePeople(db), entitySources(db)]);
  const updates: [string | null, string | null, string | null, number, string][] = [];
  for (const r of rows) {
    if (r.category_source === 'manual') continue;
    const emails = JSON.parse(r.emails || '[]') as string[];
    const ref = categoryByRules(rules, { emails, sources: [...(sources.get(r.id) ?? []), ...decodeSources(Number(r.source_mask))] });
    const code = ref?.category ?? null;
    const sub = ref?.subcategory ?? null;
    if (!ref && r.category_source !== 'rule') continue;
    if (code === r.category_code && sub === r.subcategory_code) continue;
    updates.push([code, sub, ref ? 'rule' : null, now, r.id]);
  }
  if (updates.length) await db.tx((q) => q.runMany('UPDATE people SET category_code = ?, subcategory_code = ?, category_source = ?, updated_at = ? WHERE id = ?', updates));
  return updates.length;
}
