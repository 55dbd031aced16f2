import type { CATEGORY_CODES } from './canonical-contact.js';

type Category = (typeof CATEGORY_CODES)[number];

/** `A`–`H` or `X`, optionally `.sub` (`G.2`, `A.cousins`): a category and its subcategory code. */
export const CATEGORY_REF = /^([A-HX])(?:\.([A-Za-z0-9][A-Za-z0-9_-]*))?$/;

export interface CategoryRef {
  category: Category;
  /** The subcategory code as stored: it starts with the category (`G.2`). */
  subcategory: string | null;
}

/** `G.2` → { category G, subcategory G.2 }; undefined when it is not such a code. */
export function parseCategoryRef(text: string): CategoryRef | undefined {
  const m = CATEGORY_REF.exec(text.trim());
  if (!m) return undefined;
  return { category: m[1] as Category, subcategory: m[2] ? `${m[1]}.${m[2]}` : null };
}

/** The category and subcategory as one text (a system with one field for both): the subcategory when set, else the category, else ''. */
export function categoryText(c: { category_code: Category | null; subcategory_code: string | null }): string {
  return c.subcategory_code ?? c.category_code ?? '';
}

/** Such a text back: its first letter is the category, the whole text the subcategory when longer; anything else is no category. */
export function categoryFromText(text: string | null | undefined): { category_code: Category | null; subcategory_code: string | null } {
  const t = (text ?? '').trim();
  if (!/^[A-HX]/.test(t)) return { category_code: null, subcategory_code: null };
  return { category_code: t[0] as Category, subcategory_code: t.length > 1 ? t : null };
}
