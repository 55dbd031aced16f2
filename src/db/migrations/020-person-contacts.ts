import type { Migration } from '../migration.js';

/**
 * People promoted to canonical contacts (src/promotion/).
 *  - `person_contacts`: one row per promoted person: its contact id (derived from the person id,
 *    so a re-run finds the same contact), the fingerprint of the graph figures last looked at
 *    (`input_hash`: a person whose figures did not move is not read again), the hash of the
 *    fields and llm_context last written (`content_hash`), the kept contact when the person was
 *    merged away (`merged_into_contact`, its own contact then soft-deleted), and `changed`, set
 *    in the same transaction by a merge, split or unmerge of the person for the next promotion.
 *  - `people.subcategory_code` and `people.category_source` ('manual' from `kith people
 *    categorize`, 'rule' from the configuration's rules; a rule never overrides a manual code).
 */
export const m020PersonContacts: Migration = {
  version: 20,
  name: 'person-contacts',
  sql: `
CREATE TABLE person_contacts (
  person_id TEXT PRIMARY KEY,
  contact_id TEXT NOT NULL,
  input_hash TEXT,
  content_hash TEXT,
  merged_into_contact TEXT,
  changed INTEGER NOT NULL DEFAULT 0,
  promoted_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX person_contacts_contact ON person_contacts (contact_id);
CREATE INDEX person_contacts_changed ON person_contacts (changed);
ALTER TABLE people ADD COLUMN subcategory_code TEXT;
ALTER TABLE people ADD COLUMN category_source TEXT;
`,
};
