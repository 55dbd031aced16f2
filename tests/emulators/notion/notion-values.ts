/**
 * Notion's property value validation and normalisation, as the API does it: a write payload
 * (`{title: [{text: {content}}]}`, `{select: {name}}`, …) checked against the property's type
 * and turned into the value a page object shows. Failures carry Notion's own wording.
 */
export class ValidationError extends Error {}

export type PropType = string;
export interface PropDef {
  id: string;
  name: string;
  type: PropType;
  options?: { id: string; name: string; color: string }[];
  relation?: { data_source_id: string; database_id: string };
}

type Json = Record<string, unknown>;

const READ_ONLY = new Set(['created_time', 'last_edited_time', 'created_by', 'last_edited_by', 'formula', 'rollup', 'unique_id']);

function richText(name: string, type: string, items: unknown): Json[] {
  if (!Array.isArray(items)) throw new ValidationError(`body failed validation: body.properties.${name}.${type} should be an array, instead was \`${JSON.stringify(items)}\`.`);
  if (items.length > 100) throw new ValidationError(`body failed validation: body.properties.${name}.${type}.length should be ≤ \`100\`, instead was \`${items.length}\`.`);
  return items.map((t: Json, i) => {
    const content = (t?.text as Json | undefined)?.content;
    if (typeof content !== 'string') throw new ValidationError(`body failed validation: body.properties.${name}.${type}[${i}].text.content should be defined, instead was \`undefined\`.`);
    if (content.length > 2000) throw new ValidationError(`body failed validation: body.properties.${name}.${type}[${i}].text.content.length should be ≤ \`2000\`, instead was \`${content.length}\`.`);
    const link = ((t.text as Json).link as Json | null | undefined) ?? null;
    return {
      type: 'text',
      text: { content, link },
      annotations: { bold: false, italic: false, strikethrough: false, underline: false, code: false, color: 'default' },
      plain_text: content,
      href: link ? (link.url as string) : null,
    };
  });
}

function option(def: PropDef, v: unknown, allowNew: boolean): Json | null {
  if (v === null) return null;
  const name = (v as Json)?.name;
  if (typeof name !== 'string') throw new ValidationError(`body failed validation: body.properties.${def.name}.${def.type}.name should be defined, instead was \`undefined\`.`);
  if (def.type !== 'status' && name.includes(',')) throw new ValidationError(`Select option names cannot contain commas. Invalid option name: ${name}`);
  def.options ??= [];
  let o = def.options.find((x) => x.name === name);
  if (!o) {
    if (!allowNew) throw new ValidationError(`Invalid status option. Status option "${name}" does not exist".`);
    o = { id: `opt-${def.options.length + 1}`, name, color: 'default' };
    def.options.push(o);
  }
  return { ...o };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/;

function expected(def: PropDef, what: string): never {
  throw new ValidationError(`${def.name} is expected to be ${what}.`);
}

/** A write payload for one property → the stored value (as a page object shows it). */
export function normaliseValue(def: PropDef, payload: Json): unknown {
  if (READ_ONLY.has(def.type)) throw new ValidationError(`${def.name} is a ${def.type} property and cannot be updated.`);
  if (!(def.type in payload)) expected(def, def.type);
  const v = payload[def.type];
  switch (def.type) {
    case 'title':
    case 'rich_text':
      return richText(def.name, def.type, v);
    case 'number':
      if (v !== null && (typeof v !== 'number' || !Number.isFinite(v))) expected(def, 'number');
      return v;
    case 'select':
      return option(def, v, true);
    case 'status':
      return option(def, v, false);
    case 'multi_select':
      if (!Array.isArray(v)) expected(def, 'multi_select');
      if (v.length > 100) throw new ValidationError(`body failed validation: body.properties.${def.name}.multi_select.length should be ≤ \`100\`, instead was \`${v.length}\`.`);
      return v.map((o) => option(def, o, true));
    case 'date': {
      if (v === null) return null;
      const d = v as Json;
      if (typeof d?.start !== 'string' || !ISO_DATE.test(d.start)) expected(def, 'date');
      if (d.end != null && (typeof d.end !== 'string' || !ISO_DATE.test(d.end))) expected(def, 'date');
      return { start: d.start, end: d.end ?? null, time_zone: d.time_zone ?? null };
    }
    case 'checkbox':
      if (typeof v !== 'boolean') expected(def, 'checkbox');
      return v;
    case 'url':
    case 'email':
    case 'phone_number':
      if (v !== null && typeof v !== 'string') expected(def, def.type);
      if (v === '') throw new ValidationError(`body failed validation: body.properties.${def.name}.${def.type}.length should be ≥ \`1\`, instead was \`0\`.`);
      return v;
    case 'people':
      if (!Array.isArray(v)) expected(def, 'people');
      return v.map((p: Json) => ({ object: 'user', id: String(p?.id) }));
    case 'relation':
      if (!Array.isArray(v)) expected(def, 'relation');
      if (v.length > 100) throw new ValidationError(`body failed validation: body.properties.${def.name}.relation.length should be ≤ \`100\`, instead was \`${v.length}\`.`);
      return v.map((r: Json) => {
        if (typeof r?.id !== 'string') throw new ValidationError(`body failed validation: body.properties.${def.name}.relation[].id should be defined, instead was \`undefined\`.`);
        return { id: r.id };
      });
    case 'files':
      if (!Array.isArray(v)) expected(def, 'files');
      return v;
    default:
      throw new ValidationError(`${def.name} is a ${def.type} property and cannot be updated.`);
  }
}

/** The empty value a new page shows for a property it was not given. */
export function emptyValue(type: PropType): unknown {
  switch (type) {
    case 'title':
    case 'rich_text':
    case 'multi_select':
    case 'people':
    case 'relation':
    case 'files':
      return [];
    case 'checkbox':
      return false;
    default:
      return null;
  }
}
