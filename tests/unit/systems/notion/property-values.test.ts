import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../../src/errors.js';
import { buildProperties, buildPropertyValue, readPropertyValue, splitText } from '../../../../src/systems/notion/property-values.js';

/** Property value objects as Notion's page reference shows them (developers.notion.com/reference/page-property-values). */
const PAGE_PROPERTIES = {
  Name: {
    id: 'title',
    type: 'title',
    title: [
      { type: 'text', text: { content: 'Tuscan ', link: null }, annotations: { bold: false, italic: false, strikethrough: false, underline: false, code: false, color: 'default' }, plain_text: 'Tuscan ', href: null },
      { type: 'text', text: { content: 'kale', link: null }, annotations: { bold: true, italic: false, strikethrough: false, underline: false, code: false, color: 'default' }, plain_text: 'kale', href: null },
    ],
  },
  Description: { id: 'HbZT', type: 'rich_text', rich_text: [{ type: 'text', text: { content: 'A dark green leafy vegetable', link: null }, plain_text: 'A dark green leafy vegetable', href: null }] },
  Price: { id: 'BJXS', type: 'number', number: 2.5 },
  'Food group': { id: 'TJmr', type: 'select', select: { id: '96eb622f-4b88-4283-919d-ece2fbed3841', name: 'Vegetable', color: 'green' } },
  Tags: { id: 'flsb', type: 'multi_select', multi_select: [{ id: '5de29601-9c24-4b04-8629-0bca891c5120', name: 'Vegetables', color: 'green' }, { id: 'a1', name: 'Greens', color: 'blue' }] },
  Status: { id: 'Z%3ClH', type: 'status', status: { id: '86ddb6ec-0627-47f8-800d-b65afd28be13', name: 'Not started', color: 'default' } },
  'Due date': { id: 'M%3BBw', type: 'date', date: { start: '2023-02-23', end: null, time_zone: null } },
  Meeting: { id: 'M2', type: 'date', date: { start: '2020-12-08T12:00:00.000+00:00', end: '2020-12-08T13:00:00.000+00:00', time_zone: 'America/New_York' } },
  'In stock': { id: '%7BVvx', type: 'checkbox', checkbox: true },
  Website: { id: 'bB%3D%5B', type: 'url', url: 'https://developers.notion.com/' },
  Email: { id: 'y%5C%5E_', type: 'email', email: 'ada@makenotion.com' },
  Phone: { id: 'Ywqe', type: 'phone_number', phone_number: '415-202-4776' },
  Owner: { id: 'FlgQ', type: 'people', people: [{ object: 'user', id: '285e5768-3fdc-4742-ab9e-125f9050f3b8', name: 'Ada', avatar_url: null, type: 'person', person: { email: 'ada@makenotion.com' } }] },
  Projects: { id: 'dj%7BG', type: 'relation', relation: [{ id: '6c25f2a6-ad15-4a4b-9f2a-2e8f6d8b2b0a' }], has_more: false },
  Big: { id: 'big', type: 'relation', relation: [{ id: 'a' }], has_more: true },
  Created: { id: 'sv%3Fi', type: 'created_time', created_time: '2020-03-17T19:10:00.000Z' },
  Edited: { id: 'eB_%7D', type: 'last_edited_time', last_edited_time: '2021-07-01T20:43:00.000Z' },
  'Created by': { id: '%5BJCR', type: 'created_by', created_by: { object: 'user', id: 'c2f20311-9e54-4d11-8c79-7398424ae41e' } },
  Formula: { id: 'XnNj', type: 'formula', formula: { type: 'number', number: 1234 } },
  Rollup: { id: 'R', type: 'rollup', rollup: { type: 'number', number: 1704, function: 'sum' } },
  ID: { id: 'u', type: 'unique_id', unique_id: { prefix: 'RL', number: 42 } },
  Files: { id: 'f', type: 'files', files: [{ name: 'Project Alpha blueprint', type: 'external', external: { url: 'https://www.figma.com/file/g7eazMtXnqON4i280CcMhk/project-alpha-blueprint' } }] },
  Empty: { id: 'e', type: 'select', select: null },
  NoDate: { id: 'd', type: 'date', date: null },
} as const;

describe('readPropertyValue: Notion page payloads → plain values', () => {
  const read = (k: keyof typeof PAGE_PROPERTIES) => readPropertyValue(PAGE_PROPERTIES[k] as never);
  it('reads every type', () => {
    expect(read('Name').value).toBe('Tuscan kale');
    expect(read('Description').value).toBe('A dark green leafy vegetable');
    expect(read('Price').value).toBe(2.5);
    expect(read('Food group').value).toBe('Vegetable');
    expect(read('Tags').value).toEqual(['Vegetables', 'Greens']);
    expect(read('Status').value).toBe('Not started');
    expect(read('Due date').value).toEqual({ start: '2023-02-23', end: null, timeZone: null });
    expect(read('Meeting').value).toEqual({ start: '2020-12-08T12:00:00.000+00:00', end: '2020-12-08T13:00:00.000+00:00', timeZone: 'America/New_York' });
    expect(read('In stock').value).toBe(true);
    expect(read('Website').value).toBe('https://developers.notion.com/');
    expect(read('Email').value).toBe('ada@makenotion.com');
    expect(read('Phone').value).toBe('415-202-4776');
    expect(read('Owner').value).toEqual(['285e5768-3fdc-4742-ab9e-125f9050f3b8']);
    expect(read('Projects')).toEqual({ value: ['6c25f2a6-ad15-4a4b-9f2a-2e8f6d8b2b0a'] });
    expect(read('Created').value).toBe('2020-03-17T19:10:00.000Z');
    expect(read('Edited').value).toBe('2021-07-01T20:43:00.000Z');
    expect(read('Created by').value).toBe('c2f20311-9e54-4d11-8c79-7398424ae41e');
    expect(read('Formula').value).toBe(1234);
    expect(read('Rollup').value).toBe(1704);
    expect(read('ID').value).toBe('RL-42');
    expect(read('Files').value).toEqual(['https://www.figma.com/file/g7eazMtXnqON4i280CcMhk/project-alpha-blueprint']);
    expect(read('Empty').value).toBeNull();
    expect(read('NoDate').value).toBeNull();
  });
  it('flags a relation whose page object listed only its first 25 ids', () => {
    expect(read('Big')).toEqual({ value: ['a'], truncated: true });
  });
});

describe('buildPropertyValue: plain values → Notion write payloads', () => {
  const b = (type: string, v: unknown) => buildPropertyValue({ name: 'P', type: type as never }, v as never);
  it('builds every writable type', () => {
    expect(b('title', 'Tuscan kale')).toEqual({ title: [{ type: 'text', text: { content: 'Tuscan kale' } }] });
    expect(b('rich_text', '')).toEqual({ rich_text: [] });
    expect(b('number', 2.5)).toEqual({ number: 2.5 });
    expect(b('number', null)).toEqual({ number: null });
    expect(b('select', 'Vegetable')).toEqual({ select: { name: 'Vegetable' } });
    expect(b('select', null)).toEqual({ select: null });
    expect(b('status', 'Done')).toEqual({ status: { name: 'Done' } });
    expect(b('multi_select', ['a', 'b'])).toEqual({ multi_select: [{ name: 'a' }, { name: 'b' }] });
    expect(b('date', { start: '2020-12-08T12:00:00Z', end: null, timeZone: 'Europe/Paris' })).toEqual({ date: { start: '2020-12-08T12:00:00Z', end: null, time_zone: 'Europe/Paris' } });
    expect(b('date', '2023-02-23')).toEqual({ date: { start: '2023-02-23', end: null, time_zone: null } });
    expect(b('checkbox', false)).toEqual({ checkbox: false });
    expect(b('url', 'https://x.org')).toEqual({ url: 'https://x.org' });
    expect(b('email', '')).toEqual({ email: null });
    expect(b('phone_number', '+1 415')).toEqual({ phone_number: '+1 415' });
    expect(b('people', ['u1'])).toEqual({ people: [{ object: 'user', id: 'u1' }] });
    expect(b('relation', ['p1', 'p2'])).toEqual({ relation: [{ id: 'p1' }, { id: 'p2' }] });
  });
  it('splits long text at 2,000 characters per text object, and reading joins it back', () => {
    const text = 'a'.repeat(1999) + '😀' + 'b'.repeat(2500);
    const built = b('rich_text', text) as { rich_text: { text: { content: string } }[] };
    expect(built.rich_text.map((t) => t.text.content.length)).toEqual([1999, 2000, 502]);
    const back = readPropertyValue({ type: 'rich_text', rich_text: built.rich_text.map((t) => ({ ...t, plain_text: t.text.content })) });
    expect(back.value).toBe(text);
    expect(splitText('')).toEqual([]);
  });
  it('refuses computed types and wrong values with an error naming the property', () => {
    for (const t of ['created_time', 'last_edited_time', 'formula', 'rollup']) expect(() => b(t, 'x')).toThrow(/Notion property "P" \(.+\): is computed by Notion/);
    expect(() => b('number', 'abc')).toThrow(InvalidInputError);
    expect(() => b('checkbox', 'yes')).toThrow(/"P" \(checkbox\)/);
    expect(() => b('multi_select', Array.from({ length: 101 }, (_, i) => String(i)))).toThrow(/at most 100/);
    expect(() => b('date', { start: '' })).toThrow(/date with a start/);
    expect(() => b('rich_text', 'x'.repeat(200_001))).toThrow(/at most 200000/);
  });
  it('checks names against the schema', () => {
    const schema = { Name: { id: 'title', name: 'Name', type: 'title' as const } };
    expect(buildProperties(schema, { Name: 'x' })).toEqual({ Name: { title: [{ type: 'text', text: { content: 'x' } }] } });
    expect(() => buildProperties(schema, { Other: 'x' })).toThrow(/"Other" does not exist in the data source \(it has: Name\)/);
  });
});
