import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadKithConfig } from '../../../src/sync/kith-config.js';
import { runOrder } from '../../../src/tables/config/tables-config.js';

const MEETINGS = `tables:
  - name: meetings
    mode: two-way
    notion: { data_source: ds-meetings }
    supabase: { table: meetings }
    fields:
      title: Title
      date: Date
      summary: Summary
      attendees: { property: Attendees, relation: contacts }
`;

describe('tables: in kith.config.yaml', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kith-tables-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const load = (yaml: string) => {
    writeFileSync(join(dir, 'kith.config.yaml'), yaml);
    return loadKithConfig(join(dir, 'kith.config.yaml'));
  };

  it('reads the mapping as the documentation shows it, with the defaults', () => {
    const c = load(MEETINGS);
    expect(c.tables).toEqual([
      {
        name: 'meetings',
        mode: 'two-way',
        dataSourceId: 'ds-meetings',
        table: 'meetings',
        fields: [
          { column: 'title', property: 'Title' },
          { column: 'date', property: 'Date' },
          { column: 'summary', property: 'Summary' },
          { column: 'attendees', property: 'Attendees', type: undefined, relation: 'contacts' },
        ],
        everyMs: 300_000,
        fullEveryMs: 3_600_000,
        minSourceShare: 0.1,
        maxDeleteShare: 0.5,
      },
    ]);
  });

  it('takes per-table schedules, type overrides and safety shares', () => {
    const c = load(`tables:\n  - name: books\n    mode: one-way\n    notion: { data_source: b }\n    supabase: { table: books }\n    every: 90s\n    safety: { min_source_share: 0.2, max_delete_share: 0.05 }\n    fields:\n      pages: { property: Pages, type: number }\n`);
    expect(c.tables[0]).toMatchObject({ everyMs: 90_000, minSourceShare: 0.2, maxDeleteShare: 0.05, fields: [{ column: 'pages', property: 'Pages', type: 'number' }] });
  });

  it('names the field and its line for a bad value', () => {
    expect(() => load(MEETINGS.replace('two-way', 'both-ways'))).toThrow(/tables\[0\]\.mode \(line 3\)/);
    expect(() => load(MEETINGS.replace('relation: contacts', 'relation: people'))).toThrow(/tables\[0\]\.fields\.attendees\.relation \(line 10\).*neither contacts nor a mapped table/);
    expect(() => load(MEETINGS.replace('summary: Summary', 'updated_at: Summary'))).toThrow(/tables\[0\]\.fields\.updated_at.*sync column/);
    expect(() => load(MEETINGS.replace('every: 5m', '') + '    every: 5 minutes\n')).toThrow(/tables\[0\]\.every \(line 11\).*duration/);
    expect(() => load(`${MEETINGS}${MEETINGS.replace('tables:\n', '')}`)).toThrow(/tables\[1\]\.name.*two tables share the name 'meetings'/);
  });

  it('runs tables others relate to first, two-way before one-way', () => {
    const c = load(`tables:
  - { name: highlights, mode: one-way, notion: { data_source: h }, supabase: { table: highlights }, fields: { title: T, book: { property: Book, relation: books } } }
  - { name: books, mode: one-way, notion: { data_source: b }, supabase: { table: books }, fields: { title: T } }
  - { name: meetings, mode: two-way, notion: { data_source: m }, supabase: { table: meetings }, fields: { title: T } }
`);
    expect(runOrder(c.tables).map((t) => t.name)).toEqual(['meetings', 'books', 'highlights']);
  });
});
