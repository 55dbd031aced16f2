import type { TableMode } from '../config/tables-config.js';
import { hashTableContent, type NotionSide, type RowSide, type SyncRecord, type TableContent } from './table-content.js';

export type Side = 'notion' | 'supabase';

/** The loser of an edit on both sides since the last sync, kept for review. */
export interface LostEdit {
  winner: Side;
  loser: Side;
  loserContent: TableContent;
  winnerContent: TableContent;
}

export type RecordAction =
  | { kind: 'none' }
  /** Both sides already hold the same content: only Kith's record of it is written. */
  | { kind: 'link' }
  | { kind: 'create-row'; content: TableContent }
  | { kind: 'update-row'; content: TableContent; reason: 'notion-edit' | 'restore' | 'newer' | 'conflict'; conflict?: LostEdit }
  | { kind: 'create-page'; content: TableContent }
  | { kind: 'update-page'; content: TableContent; reason: 'supabase-edit' | 'newer' | 'conflict'; conflict?: LostEdit }
  | { kind: 'skip'; reason: string };

export interface PairInput {
  mode: TableMode;
  notion?: NotionSide;
  row?: RowSide;
  record?: SyncRecord;
}

/**
 * Which edit is newer, each by its own clock. Notion's last_edited_time is whole minutes, so a
 * Supabase edit inside the page's edit minute cannot be ordered after it: Supabase's precise
 * time wins that tie, and the Notion side is kept as the conflict's loser for review.
 */
export function newerSide(notion: NotionSide, row: RowSide): Side {
  return Date.parse(notion.editedAt) > Date.parse(row.updatedAt) ? 'notion' : 'supabase';
}

/**
 * What to do with one record, from what each side holds now and what Kith last saw on each
 * (hashes, never times, tell an edit from Kith's own write: an edit made a second after that
 * write changes the hash and is an edit). Pure.
 */
export function decideRecord(p: PairInput): RecordAction {
  const { notion, row, record } = p;
  if (!notion && !row) return { kind: 'none' };
  if (notion && !row) {
    if (notion.content.deleted) return { kind: 'skip', reason: 'page in the trash and no row: nothing to delete' };
    return { kind: 'create-row', content: notion.content };
  }
  if (!notion) {
    // A row Notion has no page for (or whose page this run did not read as changed).
    if (row!.pageId || record) return { kind: 'none' };
    if (p.mode === 'one-way') return { kind: 'skip', reason: 'row has no Notion page (one-way: Supabase is read-only)' };
    if (row!.content.deleted) return { kind: 'none' };
    return { kind: 'create-page', content: row!.content };
  }
  const r = row!;
  const hn = hashTableContent(notion.content);
  const hs = hashTableContent(r.content);
  if (r.missing) {
    if (p.mode === 'one-way') return notion.content.deleted ? { kind: 'none' } : { kind: 'create-row', content: notion.content };
    if (notion.content.deleted) return { kind: 'none' };
    // Removed from Supabase outside Kith: a delete, carried to Notion as the trash.
    return { kind: 'update-page', content: { ...notion.content, deleted: true }, reason: 'supabase-edit' };
  }
  if (hn === hs) return record && record.notionHash === hn && record.supabaseHash === hs ? { kind: 'none' } : { kind: 'link' };
  if (p.mode === 'one-way') {
    const edited = record ? record.supabaseHash !== hs : true;
    return { kind: 'update-row', content: notion.content, reason: edited && (!record || record.notionHash === hn) ? 'restore' : 'notion-edit' };
  }
  const nChanged = !record || record.notionHash !== hn;
  const sChanged = !record || record.supabaseHash !== hs;
  if (nChanged && !sChanged) return { kind: 'update-row', content: notion.content, reason: 'notion-edit' };
  if (sChanged && !nChanged) return { kind: 'update-page', content: r.content, reason: 'supabase-edit' };
  const winner = newerSide(notion, r);
  if (!record || (!nChanged && !sChanged)) {
    // Never linked, or a mismatch left by an earlier failure: the newer side is repaired onto the other.
    return winner === 'notion' ? { kind: 'update-row', content: notion.content, reason: 'newer' } : { kind: 'update-page', content: r.content, reason: 'newer' };
  }
  const conflict: LostEdit =
    winner === 'notion'
      ? { winner, loser: 'supabase', winnerContent: notion.content, loserContent: r.content }
      : { winner, loser: 'notion', winnerContent: r.content, loserContent: notion.content };
  return winner === 'notion' ? { kind: 'update-row', content: notion.content, reason: 'conflict', conflict } : { kind: 'update-page', content: r.content, reason: 'conflict', conflict };
}
