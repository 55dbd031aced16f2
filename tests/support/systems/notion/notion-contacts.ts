import type { PropertyInput } from '../../../emulators/notion/notion-store.js';

/** The contacts data source Kith's Notion contact system expects (property names of contact.mapper.ts). */
export const NOTION_CONTACTS_SCHEMA: Record<string, PropertyInput> = {
  Name: 'title',
  'Kith ID': 'rich_text',
  Emails: 'rich_text',
  Phones: 'rich_text',
  Company: 'rich_text',
  'Job title': 'rich_text',
  Category: { type: 'select', options: ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'X'] },
  Subcategory: 'rich_text',
  Notes: 'rich_text',
  Tags: 'multi_select',
  'Last contacted': 'date',
  'Last edited': 'last_edited_time',
};
