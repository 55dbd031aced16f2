import type { Logger } from '../../log/logger.js';
import type { Limiter } from '../limits/request-limiter.js';

/** The property types Kith reads; the last group (formula … unique_id, created/last-edited) is read only. */
export type NotionPropertyType =
  | 'title'
  | 'rich_text'
  | 'number'
  | 'select'
  | 'multi_select'
  | 'status'
  | 'date'
  | 'checkbox'
  | 'url'
  | 'email'
  | 'phone_number'
  | 'people'
  | 'relation'
  | 'created_time'
  | 'last_edited_time'
  | 'created_by'
  | 'last_edited_by'
  | 'formula'
  | 'rollup'
  | 'files'
  | 'unique_id';

export interface NotionDate {
  start: string;
  end?: string | null;
  timeZone?: string | null;
}

/** A property value as plain data: string | number | boolean | null | string[] (multi_select, people ids, relation page ids) | NotionDate. */
export type PlainValue = string | number | boolean | null | string[] | NotionDate;

export interface NotionPropertySchema {
  id: string;
  name: string;
  type: NotionPropertyType;
  relation?: { dataSourceId: string };
  options?: string[];
}

export interface NotionPage {
  id: string;
  dataSourceId: string;
  createdTime: string;
  lastEditedTime: string;
  inTrash: boolean;
  properties: Record<string, { type: NotionPropertyType; value: PlainValue }>;
}

export interface NotionPages {
  /** The data source's properties by name. */
  schema(dataSourceId: string): Promise<Record<string, NotionPropertySchema>>;
  /** Pages (not in trash) edited at or after `editedSince` (all when undefined), oldest edit first, a page of results at a time (100). */
  query(dataSourceId: string, opts?: { editedSince?: string }): AsyncIterable<NotionPage[]>;
  /** One page, in trash or not; undefined when Notion answers 404. */
  get(pageId: string): Promise<NotionPage | undefined>;
  create(dataSourceId: string, values: Record<string, PlainValue>): Promise<NotionPage>;
  /** Set the given properties (others untouched); `inTrash` moves it to or from the trash. */
  update(pageId: string, values: Record<string, PlainValue>, opts?: { inTrash?: boolean }): Promise<NotionPage>;
  /** Pages (not in trash) whose text-like property `property` equals `value` exactly (a query with a property filter). */
  findByText?(dataSourceId: string, property: string, value: string): Promise<NotionPage[]>;
}

export interface OpenNotionPagesOptions {
  token: string;
  baseUrl?: string;
  limiter?: Limiter;
  log?: Logger;
}
