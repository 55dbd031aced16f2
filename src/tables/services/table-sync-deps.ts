import type { Db } from '../../db/db.js';
import type { Alerts } from '../../hub/ports/alerts.js';
import type { Logger } from '../../log/logger.js';
import type { NotionPage, NotionPages } from '../../systems/notion/notion-pages.port.js';
import type { SupabaseTableRow } from '../../systems/supabase/table-rows.js';
import type { TableMapping } from '../config/tables-config.js';

/** One synced Supabase table, as the engine uses it (src/systems/supabase/table-rows.ts). */
export interface TableRowsPort {
  readAll(): AsyncIterable<SupabaseTableRow[]>;
  readChanged(since: string): AsyncIterable<SupabaseTableRow[]>;
  readBy(column: 'id' | 'notion_page_id', values: readonly string[]): Promise<SupabaseTableRow[]>;
  upsertForPage(pageId: string, values: Record<string, unknown>, pageEditedAt: string): Promise<SupabaseTableRow>;
  upsertManyForPages(items: readonly { pageId: string; values: Record<string, unknown>; pageEditedAt: string }[]): Promise<SupabaseTableRow[]>;
  update(id: string, values: Record<string, unknown>, stamp?: { pageId?: string; pageEditedAt?: string }): Promise<SupabaseTableRow>;
}

/** What a table sync needs: built once per process (src/tables/open-table-sync.ts). */
export interface TableSyncDeps {
  db: Db;
  pages: NotionPages;
  rows: (table: string) => TableRowsPort;
  alerts: Alerts;
  log: Logger;
  /** Every mapped table (relations name one another). */
  tables: readonly TableMapping[];
  clock?: () => number;
}

export interface RunOptions {
  /** Read both sides whole, rebuild links, repair every mismatch. */
  full?: boolean;
  /** Read what changed in the last N hours instead of since the stored cursors. */
  hours?: number;
  /** Plan and report, write nothing. */
  dryRun?: boolean;
  /** Skip the safety valve for this run. */
  force?: boolean;
  /** Only these pages / rows (a webhook's single-record job). */
  pageIds?: readonly string[];
  rowIds?: readonly string[];
  /** Pages of `pageIds` already read (a webhook's job looked its page up to find the table). */
  prefetched?: readonly NotionPage[];
}

export type PlannedWrite = { side: 'notion' | 'supabase'; action: 'create' | 'update' | 'trash' | 'restore'; id: string; reason?: string };

export interface TableRunReport {
  table: string;
  mode: TableMapping['mode'];
  kind: 'full' | 'incremental' | 'records';
  dryRun: boolean;
  /** Set when the safety valve stopped the run before it wrote anything. */
  aborted?: string;
  read: { notion: number; supabase: number };
  notion: { created: number; updated: number; trashed: number };
  supabase: { created: number; updated: number; deleted: number; restored: number };
  linked: number;
  unchanged: number;
  conflicts: string[];
  skipped: { id: string; reason: string }[];
  failed: { id: string; error: string }[];
  /** In a dry run: every write the run would make. */
  planned: PlannedWrite[];
}

export function emptyReport(m: TableMapping, kind: TableRunReport['kind'], dryRun: boolean): TableRunReport {
  return {
    table: m.name,
    mode: m.mode,
    kind,
    dryRun,
    read: { notion: 0, supabase: 0 },
    notion: { created: 0, updated: 0, trashed: 0 },
    supabase: { created: 0, updated: 0, deleted: 0, restored: 0 },
    linked: 0,
    unchanged: 0,
    conflicts: [],
    skipped: [],
    failed: [],
    planned: [],
  };
}
