export type NotionPropertyType = 'title' | 'rich_text' | 'number' | 'select' | 'multi_select' | 'status' | 'date' | 'checkbox' | 'url' | 'email' | 'phone_number' | 'people' | 'relation' | 'created_time' | 'last_edited_time' | 'created_by' | 'last_edited_by' | 'formula' | 'rollup' | 'files' | 'unique_id';
export interface NotionDate { start: string; end?: string | null; timeZone?: string | null }
export type PlainValue = string | number | boolean | null | string[] | NotionDate;
export interface NotionPropertySchema { id: string; name: string; type: NotionPropertyType; relation?: { dataSourceId: string }; options?: string[] }
export interface NotionPage { id: string; dataSourceId: string; createdTime: string; lastEditedTime: string; inTrash: boolean; properties: Record<string, { type: NotionPropertyType; value: PlainValue }> }
export interface NotionPages {
  schema(dataSourceId: string): Promise<Record<string, NotionPropertySchema>>;
  /** Pages (not in trash) edited at or after `editedSince` (all when undefined), oldest edit first, 100 at a time. */
  query(dataSourceId: string, opts?: { editedSince?: string }): AsyncIterable<NotionPage[]>;
  get(pageId: string): Promise<NotionPage | undefined>;
  create(dataSourceId: string, values: Record<string, PlainValue>): Promise<NotionPage>;
  update(pageId: string, values: Record<string, PlainValue>, opts?: { inTrash?: boolean }): Promise<NotionPage>;
}
