import type { TwentyClient } from './twenty-client.js';

/** The category field Kith creates when TWENTY_CATEGORY_FIELD is not set. */
export const DEFAULT_TWENTY_CATEGORY_FIELD = 'kithCategory';

export interface CategoryFieldSetup {
  field: string;
  action: 'created' | 'exists';
}

/**
 * Make sure the workspace's people have the custom text field that holds the category code
 * (`G`, `G.2`): read the data model through the metadata API and create the field when it is
 * missing. Idempotent: a field already there (made by hand, or by an earlier run) is left alone.
 */
export async function ensureTwentyCategoryField(client: TwentyClient, field: string = DEFAULT_TWENTY_CATEGORY_FIELD): Promise<CategoryFieldSetup> {
  const person = await client.personObject();
  if (person.fields.includes(field)) return { field, action: 'exists' };
  await client.createPersonTextField(person.id, field, 'Kith category', 'Relationship category code kept by Kith (A–H or X, optionally .<sub>, e.g. G.2)');
  return { field, action: 'created' };
}
