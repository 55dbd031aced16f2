import { createHash } from 'node:crypto';
import { stableStringify } from '../../hub/domain/content-hash.js';
import type { FieldValue } from './field-values.js';

/** What a record holds, in the form both sides compare: the mapped fields and whether it is deleted. */
export interface TableContent {
  fields: Record<string, FieldValue>;
  deleted: boolean;
}

/** Equal content → equal hash, whichever side it was read from: how Kith knows its own writes. */
export function hashTableContent(c: TableContent): string {
  return createHash('sha256').update(stableStringify({ f: c.fields, d: c.deleted })).digest('hex').slice(0, 32);
}

/** The Notion page as the engine sees it. `editedAt` is Notion's last_edited_time (whole minutes). */
export interface NotionSide {
  pageId: string;
  editedAt: string;
  content: TableContent;
}

/** The Supabase row as the engine sees it. `updatedAt` is the row's updated_at (microseconds). */
export interface RowSide {
  rowId: string;
  pageId: string | null;
  updatedAt: string;
  content: TableContent;
  /** The row is not there at all (removed outside Kith): writing it means creating it again. */
  missing?: boolean;
}

/** What Kith last wrote or read on each side of one linked record (its database's table_sync_records). */
export interface SyncRecord {
  rowId: string;
  pageId: string;
  notionHash: string | null;
  supabaseHash: string | null;
}
