import { type CategoryRef, type CategoryRule, parseCategoryRef } from './promotion-config.js';

/**
 * The category the configuration's rules give a person, pure: the first rule that matches, in
 * the order written. A domain rule matches an address at that domain or a subdomain of it; a
 * source rule a person found in that source type; a tag rule a person whose vault note carries
 * that tag.
 */
export function categoryByRules(rules: readonly CategoryRule[], p: { emails: readonly string[]; sources: readonly string[]; tags?: readonly string[] }): CategoryRef | undefined {
  const domains = p.emails.map((e) => e.slice(e.lastIndexOf('@') + 1).toLowerCase());
  for (const r of rules) {
    const hit =
      r.domain !== undefined ? domains.some((d) => d === r.domain || d.endsWith(`.${r.domain}`)) : r.tag !== undefined ? (p.tags ?? []).includes(r.tag) : p.sources.includes(r.source!);
    if (hit) return parseCategoryRef(r.code);
  }
  return undefined;
}
