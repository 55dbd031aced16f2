import type { Migration } from '../migration.js';

/**
 * The canonical fields added after the first contacts were stored: `linkedin_url` (the profile
 * the graph finds), `tags` (JSON list, the CRM's tags) and `last_contacted` (YYYY-MM-DD). Rows
 * written before hold null / '[]' and read as such; their content hashes do not change (empty
 * later fields are left out of every hash).
 */
export const m024ContactCrmFields: Migration = {
  version: 24,
  name: 'contact-crm-fields',
  sql: `
ALTER TABLE contacts ADD COLUMN linkedin_url TEXT;
ALTER TABLE contacts ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE contacts ADD COLUMN last_contacted TEXT;
`,
};
