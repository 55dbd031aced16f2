import type { Migration } from '../migration.js';

/**
 * Faster search indexing on SQLite, and notes that are not read again when unchanged.
 *
 * - The chunk store now inserts a new chunk's FTS5 row itself, in the same transaction as the
 *   chunk (an AFTER INSERT trigger into FTS5 halved the insert rate). Updates and deletes keep
 *   their triggers (they need the old text, and are few).
 * - `search_note_stamps`: per indexed note, the size and mtime its file had and a hash of what
 *   its chunks were made from, with how many there are. A note whose file has the same size and
 *   mtime is not read again; one whose text hashes the same is not chunked again. Written in the
 *   same transaction as the note's chunks; removed with them.
 */
const STAMPS = `
CREATE TABLE search_note_stamps (
  doc_key TEXT PRIMARY KEY,
  size BIGINT NOT NULL,
  mtime_ms BIGINT NOT NULL,
  hash TEXT NOT NULL,
  chunks INTEGER NOT NULL
);
`;

export const m025SearchNoteStamps: Migration = {
  version: 25,
  name: 'search-note-stamps',
  sqlite: `
DROP TRIGGER IF EXISTS search_chunks_ai;
${STAMPS}`,
  postgres: STAMPS,
};
