import type { TableField } from '@google-cloud/bigquery';

/**
 * The canonical store's one table: an append-only, versioned change log.
 *
 * Why not one row per contact updated in place: rows streamed with insertAll stay in the
 * streaming buffer for up to ~30 minutes, and UPDATE/DELETE/MERGE over them fails ("would affect
 * rows in the streaming buffer"); DML also has per-table quotas. So every change (including a
 * soft delete) is a new row, and readers take the latest row per contact:
 *   ROW_NUMBER() OVER (PARTITION BY contact_id ORDER BY version DESC, written_at DESC,
 *   content_hash DESC) = 1  (in a subquery; no QUALIFY).
 * Duplicate rows from at-least-once delivery are identical (same contact_id, version and
 * content_hash), so the window picks one of equals and never two distinct latest rows.
 *
 * Partitioned by day on written_at (cheap cursor scans) and clustered by contact_id (cheap
 * point reads). Old versions can be compacted later with a batch job once they are well out of
 * the streaming buffer; nothing on the hot path needs DML.
 */
export const CONTACT_VERSIONS_TABLE = 'contact_versions';

export const CONTACT_VERSIONS_FIELDS: TableField[] = [
  { name: 'contact_id', type: 'STRING', mode: 'REQUIRED', description: 'Kith contact id (UUID), stable across systems' },
  { name: 'version', type: 'INT64', mode: 'REQUIRED', description: 'sync_metadata.version' },
  { name: 'content_hash', type: 'STRING', mode: 'REQUIRED', description: 'contentHash(fields + deleted_at)' },
  { name: 'payload', type: 'JSON', mode: 'REQUIRED', description: 'canonical contact fields (names, emails, phones, categories, llm_context, …)' },
  { name: 'last_updated', type: 'TIMESTAMP', mode: 'REQUIRED', description: 'sync_metadata.last_updated' },
  { name: 'last_updated_by', type: 'STRING', mode: 'REQUIRED', description: 'sync_metadata.last_updated_by' },
  { name: 'deleted_at', type: 'TIMESTAMP', mode: 'NULLABLE', description: 'soft-delete time' },
  { name: 'written_at', type: 'TIMESTAMP', mode: 'REQUIRED', description: 'when Kith appended the row (cursor column)' },
  { name: 'insert_id', type: 'STRING', mode: 'REQUIRED', description: 'contact_id:version:content_hash, also the insertAll insertId' },
];

/** The tables.insert body (besides tableReference) that ensureSchema sends. */
export const CONTACT_VERSIONS_TABLE_OPTIONS = {
  schema: { fields: CONTACT_VERSIONS_FIELDS },
  timePartitioning: { type: 'DAY', field: 'written_at' },
  clustering: { fields: ['contact_id'] },
  description: 'Kith canonical contacts: append-only versioned change log; read the latest version per contact',
};

/** The same table as GoogleSQL DDL, for people creating it by hand (ensureSchema uses the REST API). */
export function contactVersionsDdl(projectId: string, datasetId: string): string {
  const cols = CONTACT_VERSIONS_FIELDS.map((f) => `  ${f.name} ${f.type}${f.mode === 'REQUIRED' ? ' NOT NULL' : ''}`).join(',\n');
  return [
    `CREATE TABLE IF NOT EXISTS \`${projectId}.${datasetId}.${CONTACT_VERSIONS_TABLE}\` (`,
    cols,
    ')',
    'PARTITION BY DATE(written_at)',
    'CLUSTER BY contact_id;',
  ].join('\n');
}
