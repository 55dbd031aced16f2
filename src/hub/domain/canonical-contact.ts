import { z } from 'zod';

/**
 * The canonical contact. `contact_id` is a UUID minted by Kith and stable across
 * every system; per-system ids live in the link table, never here. Systems that accept a
 * client-chosen id (Twenty, Supabase) are given this one, so a retried create cannot duplicate.
 */
export const SYSTEM_NAMES = ['bigquery', 'supabase', 'local', 'twenty', 'notion', 'google', 'kith'] as const;
export const systemName = z.enum(SYSTEM_NAMES);
export type SystemName = z.infer<typeof systemName>;

export const CATEGORY_CODES = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'X'] as const;
export const CATEGORY_LABELS: Record<(typeof CATEGORY_CODES)[number], string> = {
  A: 'Family',
  B: 'Friends',
  C: 'Acquaintances',
  D: 'Dating/Romantic',
  E: 'Ex-Romantic',
  F: 'Service Providers',
  G: 'Professional/Coworkers',
  H: 'Hostile',
  X: 'Exclude',
};
export const categoryCode = z.enum(CATEGORY_CODES);

const scale = z.number().int().min(1).max(10);

const countsByChannel = z.record(z.string(), z.number().int().min(0));

/** The people graph's story of a contact: counts, dates, strength and trend, company kept, recent and open conversations. */
export const graphContext = z
  .object({
    person_id: z.string(),
    counts: countsByChannel,
    total_interactions: z.number().int().min(0),
    first_interaction_at: z.string().nullable(),
    last_interaction_at: z.string().nullable(),
    strength: z.number().nullable(),
    /** Interactions in the last 90 days against the 90 before: rising, falling, steady, or new (none before). */
    trend: z.enum(['rising', 'falling', 'steady', 'new', 'quiet']),
    sources: z.array(z.string()),
    profiles: z.array(z.string()),
    most_often_with: z.array(z.object({ person_id: z.string(), name: z.string(), shared: z.number().int().min(0) })),
    recent: z.array(z.object({ at: z.string(), channel: z.string(), title: z.string() })),
    open_threads: z.array(z.object({ at: z.string(), channel: z.string(), title: z.string() })),
  })
  .partial();
export type GraphContext = z.infer<typeof graphContext>;

export const llmContext = z
  .object({
    relationship_arc: z.string(),
    communication_style: z.string(),
    key_interests: z.array(z.string()),
    personality_notes: z.string(),
    important_dates: z.array(z.object({ date: z.string(), event: z.string(), significance: z.string().optional() })),
    conversation_topics: z.array(z.string()),
    emotional_depth: scale,
    closeness_level: scale,
    how_met: z.string(),
    current_state: z.string(),
    blind_spots: z.array(z.string()),
    strengths: z.array(z.string()),
    tensions: z.array(z.string()),
    /** What the people graph knows, written by Kith (src/promotion/llm-context.builder.ts). */
    graph: graphContext,
  })
  .partial();
export type LlmContext = z.infer<typeof llmContext>;

const isoInstant = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO-8601 instant');

export const syncMetadata = z.object({
  version: z.number().int().min(1),
  last_updated: isoInstant,
  last_updated_by: systemName,
});
export type SyncMetadata = z.infer<typeof syncMetadata>;

/** The fields a system can hold and edit (everything but identity and sync bookkeeping). */
export const contactFields = z.object({
  canonical_name: z.string().trim().min(1),
  first_name: z.string().nullable().default(null),
  last_name: z.string().nullable().default(null),
  emails: z.array(z.string()).default([]),
  phones: z.array(z.string()).default([]),
  company: z.string().nullable().default(null),
  job_title: z.string().nullable().default(null),
  category_code: categoryCode.nullable().default(null),
  subcategory_code: z.string().nullable().default(null),
  notes: z.string().nullable().default(null),
  llm_context: llmContext.nullable().default(null),
  // Fields added later are optional: absent reads as null (or [] for tags) everywhere, so
  // records and code that predate them stay valid (contactContent fills them in).
  /** The person's LinkedIn profile (https://www.linkedin.com/in/…). */
  linkedin_url: z.string().trim().min(1).nullable().optional(),
  /** CRM tags (Notion's multi-select, say), in the order the owner keeps them. */
  tags: z.array(z.string().trim().min(1)).optional(),
  /** The day of the last contact with the person (YYYY-MM-DD). */
  last_contacted: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD').nullable().optional(),
});
export type ContactFields = z.infer<typeof contactFields>;

export const canonicalContact = contactFields
  .extend({
    contact_id: z.string().uuid(),
    sync_metadata: syncMetadata,
    deleted_at: isoInstant.nullable().default(null),
  })
  .superRefine((c, ctx) => {
    if (c.subcategory_code != null) {
      if (c.category_code == null) ctx.addIssue({ code: 'custom', path: ['subcategory_code'], message: 'needs a category_code' });
      else if (!c.subcategory_code.startsWith(c.category_code)) {
        ctx.addIssue({ code: 'custom', path: ['subcategory_code'], message: `must start with category_code '${c.category_code}'` });
      }
    }
  });
export type CanonicalContact = z.infer<typeof canonicalContact>;
