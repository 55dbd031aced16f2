import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '../db/db.js';
import { categoryByRules } from './category-rules.js';
import { entitySources, livePeople } from './person-graph.reader.js';
import type { CategoryRule } from './promotion-config.js';
import { decodeSources } from '../domain/people/source-mapping.js';
import { splitNote } from '../sources/vault/front-matter.js';
import { strings } from '../sources/vault/vault-index.js';

/**
 * Apply the configuration's category rules to every live person whose code was not set by hand
 * (`kith people categorize`): a matching rule sets its code, a code a rule set that no rule gives
 * any more is cleared. Only rows that change are written (and their `updated_at` moved, so their
 * contact is promoted again). Returns how many people changed.
 */
export async function applyCategoryRules(db: Db, rules: readonly CategoryRule[], now = Date.now(), vaults: readonly string[] = []): Promise<number> {
  const [rows, sources] = await Promise.all([livePeople(db), entitySources(db)]);
  const tags = rules.some((r) => r.tag !== undefined) ? await vaultTags(db, vaults) : new Map<string, string[]>();
  const updates: [string | null, string | null, string | null, number, string][] = [];
  for (const r of rows) {
    if (r.category_source === 'manual') continue;
    const emails = JSON.parse(r.emails || '[]') as string[];
    const ref = categoryByRules(rules, { emails, sources: [...(sources.get(r.id) ?? []), ...decodeSources(Number(r.source_mask))], tags: tags.get(r.id) });
    const code = ref?.category ?? null;
    const sub = ref?.subcategory ?? null;
    if (!ref && r.category_source !== 'rule') continue;
    if (code === r.category_code && sub === r.subcategory_code) continue;
    updates.push([code, sub, ref ? 'rule' : null, now, r.id]);
  }
  if (updates.length) await db.tx((q) => q.runMany('UPDATE people SET category_code = ?, subcategory_code = ?, category_source = ?, updated_at = ? WHERE id = ?', updates));
  return updates.length;
}

/**
 * The tags of each person's notes in the vaults (front matter `tags`, lower case, without '#'):
 * a person's note is a vault source entity keyed by its path in the vault. A note that cannot
 * be read here (the vault lives on another host) gives no tags.
 */
async function vaultTags(db: Db, vaults: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (!vaults.length) return out;
  const notes = await db.all<{ person_id: string; external_id: string }>(`SELECT person_id, external_id FROM source_entities WHERE source = 'vault' ORDER BY person_id, external_id`);
  for (const n of notes) {
    for (const root of vaults) {
      const text = await readFile(join(root, n.external_id), 'utf8').catch(() => undefined);
      if (text === undefined) continue;
      const split = splitNote(text);
      if (!split.ok) break;
      const tags = strings(split.data.tags).map((t) => t.replace(/^#/, '').toLowerCase());
      out.set(n.person_id, [...new Set([...(out.get(n.person_id) ?? []), ...tags])]);
      break;
    }
  }
  return out;
}
