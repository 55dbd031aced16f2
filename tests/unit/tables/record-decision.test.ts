import { describe, expect, it } from 'vitest';
import { decideRecord, newerSide } from '../../../src/tables/domain/record-decision.js';
import { normalValue, toPlainValue } from '../../../src/tables/domain/field-values.js';
import { valveProblem } from '../../../src/tables/domain/safety-valve.js';
import { hashTableContent, type NotionSide, type RowSide, type TableContent } from '../../../src/tables/domain/table-content.js';

const content = (title: string, deleted = false): TableContent => ({ fields: { title }, deleted });
const notion = (c: TableContent, editedAt = '2026-01-01T10:00:00.000Z'): NotionSide => ({ pageId: 'p1', editedAt, content: c });
const row = (c: TableContent, updatedAt = '2026-01-01T10:00:30.123456+00:00'): RowSide => ({ rowId: 'r1', pageId: 'p1', updatedAt, content: c });
const record = (n: TableContent, s: TableContent = n) => ({ rowId: 'r1', pageId: 'p1', notionHash: hashTableContent(n), supabaseHash: hashTableContent(s) });

describe('deciding one record by content hash', () => {
  it('creates a row for a new page and a page for a new row (two-way only)', () => {
    expect(decideRecord({ mode: 'one-way', notion: notion(content('a')) })).toEqual({ kind: 'create-row', content: content('a') });
    expect(decideRecord({ mode: 'two-way', row: { ...row(content('a')), pageId: null } })).toEqual({ kind: 'create-page', content: content('a') });
    expect(decideRecord({ mode: 'one-way', row: { ...row(content('a')), pageId: null } }).kind).toBe('skip');
    expect(decideRecord({ mode: 'one-way', notion: notion(content('a', true)) }).kind).toBe('skip');
  });

  it("recognises Kith's own write by its hash, and an edit a second later by a new one", () => {
    const written = content('kith wrote this');
    expect(decideRecord({ mode: 'two-way', notion: notion(written), row: row(written), record: record(written) })).toEqual({ kind: 'none' });
    const edited = content('edited a second later');
    expect(decideRecord({ mode: 'two-way', notion: notion(written), row: row(edited, '2026-01-01T10:00:01+00:00'), record: record(written) })).toEqual({ kind: 'update-page', content: edited, reason: 'supabase-edit' });
    expect(decideRecord({ mode: 'two-way', notion: notion(edited), row: row(written), record: record(written) })).toEqual({ kind: 'update-row', content: edited, reason: 'notion-edit' });
  });

  it('one-way: a Supabase edit is overwritten from Notion', () => {
    const a = content('from notion');
    expect(decideRecord({ mode: 'one-way', notion: notion(a), row: row(content('edited in supabase')), record: record(a) })).toMatchObject({ kind: 'update-row', content: a, reason: 'restore' });
  });

  it('both sides edited: the newer wins and the other is the conflict loser', () => {
    const base = content('base');
    const n = content('notion edit');
    const s = content('supabase edit');
    const supabaseNewer = decideRecord({ mode: 'two-way', notion: notion(n, '2026-01-01T10:00:00.000Z'), row: row(s, '2026-01-01T10:01:10+00:00'), record: record(base) });
    expect(supabaseNewer).toMatchObject({ kind: 'update-page', content: s, reason: 'conflict', conflict: { winner: 'supabase', loser: 'notion', loserContent: n } });
    const notionNewer = decideRecord({ mode: 'two-way', notion: notion(n, '2026-01-01T10:02:00.000Z'), row: row(s, '2026-01-01T10:01:10+00:00'), record: record(base) });
    expect(notionNewer).toMatchObject({ kind: 'update-row', content: n, reason: 'conflict', conflict: { winner: 'notion', loser: 'supabase', loserContent: s } });
  });

  it("a Supabase edit inside the page's edit minute wins: Notion's time is whole minutes", () => {
    expect(newerSide(notion(content('x'), '2026-01-01T10:00:00.000Z'), row(content('y'), '2026-01-01T10:00:20+00:00'))).toBe('supabase');
    expect(newerSide(notion(content('x'), '2026-01-01T10:01:00.000Z'), row(content('y'), '2026-01-01T10:00:20+00:00'))).toBe('notion');
  });

  it('soft delete both ways, and a row removed outside Kith trashes its page (two-way) or comes back (one-way)', () => {
    const a = content('a');
    expect(decideRecord({ mode: 'two-way', notion: notion(content('a', true)), row: row(a), record: record(a) })).toMatchObject({ kind: 'update-row', content: { deleted: true } });
    expect(decideRecord({ mode: 'two-way', notion: notion(a), row: row(content('a', true)), record: record(a) })).toMatchObject({ kind: 'update-page', content: { deleted: true } });
    expect(decideRecord({ mode: 'two-way', notion: notion(a), row: { ...row(a), missing: true }, record: record(a) })).toMatchObject({ kind: 'update-page', content: { deleted: true } });
    expect(decideRecord({ mode: 'one-way', notion: notion(a), row: { ...row(a), missing: true }, record: record(a) })).toEqual({ kind: 'create-row', content: a });
  });
});

describe('field values in one form on both sides', () => {
  it('reads Notion values and Supabase columns alike', () => {
    expect(normalValue('date', { start: '2024-03-05T10:00:00.000+01:00', end: null, timeZone: null })).toBe('2024-03-05T09:00:00.000Z');
    expect(normalValue('date', '2024-03-05T09:00:00+00:00')).toBe('2024-03-05T09:00:00.000Z');
    expect(normalValue('date', { start: '2024-03-05', end: '2024-03-07', timeZone: null })).toEqual({ start: '2024-03-05', end: '2024-03-07', time_zone: null });
    expect(normalValue('multi_select', ['b', 'a', 'a'])).toEqual(['a', 'b']);
    expect(normalValue('rich_text', '')).toBeNull();
    expect(normalValue('number', '4.5')).toBe(4.5);
    expect(normalValue('checkbox', null)).toBe(false);
    expect(toPlainValue('date', { start: '2024-03-05', end: '2024-03-07', time_zone: 'Europe/Paris' })).toEqual({ start: '2024-03-05', end: '2024-03-07', timeZone: 'Europe/Paris' });
  });
});

describe('the safety valve', () => {
  const base = { minSourceShare: 0.1, maxDeleteShare: 0.5, deletes: 0 };
  it('stops a source answering under its share of the destination', () => {
    expect(valveProblem({ ...base, destination: 'supabase', destinationLive: 1000, sourceLive: 0 })).toMatch(/answered 0 live record\(s\) for 1000/);
    expect(valveProblem({ ...base, destination: 'supabase', destinationLive: 1000, sourceLive: 100 })).toBeUndefined();
  });
  it('stops a run deleting more than its share, and leaves small tables alone', () => {
    expect(valveProblem({ ...base, destination: 'notion', destinationLive: 100, deletes: 51 })).toMatch(/delete 51 of 100/);
    expect(valveProblem({ ...base, destination: 'notion', destinationLive: 100, deletes: 50 })).toBeUndefined();
    expect(valveProblem({ ...base, destination: 'notion', destinationLive: 4, sourceLive: 0, deletes: 4 })).toBeUndefined();
  });
});
