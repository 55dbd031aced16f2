import { z } from 'zod';
import { type CanonicalContact, type ContactFields, categoryCode, llmContext, SYSTEM_NAMES, type SystemName } from '../../hub/domain/canonical-contact.js';
import type { SystemContact } from '../../hub/ports/contact-system.js';
import { hashContact } from '../../hub/domain/contact-content.js';
import { InvalidInputError } from '../../errors.js';

/**
 * Pure mapping canonical ↔ a row of the Supabase `contacts` table (see contacts.sql).
 * Supabase holds every canonical field, so its content hash is the canonical one.
 */
export const supabaseContactRow = z.looseObject({
  contact_id: z.string().min(1),
  canonical_name: z.string(),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  emails: z.array(z.string()).nullable(),
  phones: z.array(z.string()).nullable(),
  company: z.string().nullable(),
  job_title: z.string().nullable(),
  category_code: categoryCode.nullable(),
  subcategory_code: z.string().nullable(),
  notes: z.string().nullable(),
  llm_context: llmContext.nullable(),
  // Columns added later: a table not yet migrated (contacts.sql applied again) has none.
  linkedin_url: z.string().nullable().optional(),
  tags: z.array(z.string()).nullable().optional(),
  last_contacted: z.string().nullable().optional(),
  version: z.number().int(),
  last_updated_at: z.string(),
  last_sync_source: z.string().nullable(),
  content_hash: z.string().nullable(),
  updated_at: z.string(),
  deleted_at: z.string().nullable(),
});
export type SupabaseContactRow = z.infer<typeof supabaseContactRow>;

/** What Kith writes: every column it owns, so an upsert fully replaces the content. */
export interface SupabaseContactWrite extends Omit<ContactFields, 'linkedin_url' | 'tags' | 'last_contacted'> {
  linkedin_url: string | null;
  tags: string[];
  last_contacted: string | null;
  contact_id: string;
  version: number;
  last_updated_at: string;
  last_sync_source: string;
  content_hash: string;
  sync_write_id: string;
  deleted_at: string | null;
}

export function toSupabaseRow(c: CanonicalContact, writeId: string): SupabaseContactWrite {
  return {
    contact_id: c.contact_id,
    canonical_name: c.canonical_name,
    first_name: c.first_name,
    last_name: c.last_name,
    emails: c.emails,
    phones: c.phones,
    company: c.company,
    job_title: c.job_title,
    category_code: c.category_code,
    subcategory_code: c.subcategory_code,
    notes: c.notes,
    llm_context: c.llm_context,
    linkedin_url: c.linkedin_url ?? null,
    tags: c.tags ?? [],
    last_contacted: c.last_contacted ?? null,
    version: c.sync_metadata.version,
    last_updated_at: c.sync_metadata.last_updated,
    last_sync_source: c.sync_metadata.last_updated_by,
    content_hash: hashContact(c),
    sync_write_id: writeId,
    deleted_at: c.deleted_at,
  };
}

const iso = (v: string) => new Date(v).toISOString();

/** A row read back; a row that breaks the schema is named by contact id and column. */
export function parseSupabaseRow(raw: unknown, table = 'contacts'): SupabaseContactRow {
  const r = supabaseContactRow.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const id = (raw as { contact_id?: unknown } | null)?.contact_id;
  throw new InvalidInputError(`Supabase ${table} row ${String(id ?? '?')}: column ${issue.path.join('.') || '?'}: ${issue.message}`, 'supabase_bad_row');
}

/**
 * A row as a SystemContact. `updatedAt` is the content's last change (sync_metadata.last_updated,
 * stamped by the trigger for edits made in Supabase), not the row write time, so comparing it
 * with the canonical record is meaningful; `updatedBy` says who made that change.
 */
export function fromSupabaseRow(row: SupabaseContactRow): SystemContact {
  const updatedBy = (SYSTEM_NAMES as readonly string[]).includes(row.last_sync_source ?? '') ? (row.last_sync_source as SystemName) : undefined;
  return {
    system: 'supabase',
    externalId: row.contact_id,
    contactId: row.contact_id,
    fields: {
      canonical_name: row.canonical_name,
      first_name: row.first_name,
      last_name: row.last_name,
      emails: row.emails ?? [],
      phones: row.phones ?? [],
      company: row.company,
      job_title: row.job_title,
      category_code: row.category_code,
      subcategory_code: row.subcategory_code,
      notes: row.notes,
      llm_context: row.llm_context,
      linkedin_url: row.linkedin_url ?? null,
      tags: row.tags ?? [],
      // A date column comes back as YYYY-MM-DD; a timestamp's day is taken as written.
      last_contacted: row.last_contacted == null ? null : row.last_contacted.slice(0, 10),
    },
    version: row.version,
    updatedAt: iso(row.last_updated_at),
    ...(updatedBy ? { updatedBy } : {}),
    deletedAt: row.deleted_at == null ? null : iso(row.deleted_at),
  };
}
