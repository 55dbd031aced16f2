import { z } from 'zod';
import { CATEGORY_CODES } from '../hub/domain/canonical-contact.js';
import { CATEGORY_REF } from '../hub/domain/category-code.js';

/**
 * The promotion rule and the category rules of `kith.config.yaml`:
 *
 *   contacts:
 *     promote:
 *       enabled: true          # default
 *       address_books: true    # everyone found in an address book source (default)
 *       min_interactions: 5    # plus anyone with at least this many interactions (default 5; 0: off)
 *   categories:
 *     - { code: G, domain: acme.com }        # people with an address at acme.com (or a subdomain)
 *     - { code: A.1, source: vcard }         # people found in that source type
 *     - { code: B, tag: friend }             # people whose note in a vault is tagged #friend
 */

export { CATEGORY_REF, type CategoryRef, parseCategoryRef } from '../hub/domain/category-code.js';

const categoryRef = z.string().regex(CATEGORY_REF, `must be one of ${CATEGORY_CODES.join(', ')}, optionally followed by .<sub> (G, G.2)`);

const domain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'must be a mail domain such as example.com');

export const categoryRule = z
  .object({
    code: categoryRef,
    domain: domain.optional(),
    source: z.string().min(1).optional(),
    /** A tag of the person's note in a vault source (front matter `tags`), without '#'. */
    tag: z
      .string()
      .trim()
      .transform((t) => t.replace(/^#/, '').toLowerCase())
      .pipe(z.string().min(1, 'must not be empty'))
      .optional(),
  })
  .strict()
  .refine((r) => [r.domain, r.source, r.tag].filter((x) => x !== undefined).length === 1, 'give exactly one of domain, source or tag');
export type CategoryRule = z.infer<typeof categoryRule>;

export const promotionRule = z
  .object({
    enabled: z.boolean().default(true),
    address_books: z.boolean().default(true),
    min_interactions: z.number().int().min(0).default(5),
  })
  .strict();
export type PromotionRule = z.infer<typeof promotionRule>;

export const DEFAULT_PROMOTION_RULE: PromotionRule = Object.freeze({ enabled: true, address_books: true, min_interactions: 5 });

export const contactsSection = z
  .object({ promote: promotionRule.default(DEFAULT_PROMOTION_RULE) })
  .strict()
  .default({ promote: DEFAULT_PROMOTION_RULE });

export const categoriesSection = z.array(categoryRule).default([]);
