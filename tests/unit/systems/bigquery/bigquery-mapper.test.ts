import { describe, expect, it } from 'vitest';
import { CursorInvalidError, InvalidInputError } from '../../../../src/errors.js';
import { type ContactVersionRead, fromRow, toRow, versionHash } from '../../../../src/systems/bigquery/bigquery-contact.mapper.js';
import { decodeCursor, encodeCursor, nextCursor } from '../../../../src/systems/bigquery/bigquery-cursor.js';
import { contactVersionsDdl } from '../../../../src/systems/bigquery/contact-versions.table.js';
import { contact } from '../../../support/systems/bigquery/bq-test-kit.js';

function asRead(row: ReturnType<typeof toRow>): ContactVersionRead {
  const ms = (v: string | null) => (v === null ? null : Date.parse(v));
  return { ...row, last_updated_ms: ms(row.last_updated)!, deleted_at_ms: ms(row.deleted_at), written_us: ms(row.written_at)! * 1000 };
}

describe('contact_versions mapper', () => {
  it('round-trips canonical → row → canonical', () => {
    const c = contact({ deleted_at: '2026-03-01T00:00:00Z' });
    const row = toRow(c, new Date('2026-03-02T00:00:00Z'));
    expect(row).toMatchObject({ contact_id: c.contact_id, version: 1, last_updated_by: 'twenty', deleted_at: '2026-03-01T00:00:00.000Z', written_at: '2026-03-02T00:00:00.000Z' });
    expect(row.insert_id).toBe(`${c.contact_id}:1:${row.content_hash}`);
    expect(JSON.parse(row.payload)).not.toHaveProperty('contact_id');
    expect(fromRow(asRead(row))).toEqual({ ...c, deleted_at: '2026-03-01T00:00:00.000Z', sync_metadata: { ...c.sync_metadata, last_updated: '2026-01-27T10:00:00.000Z' } });
  });

  it('carries LinkedIn, tags and the last contact in the payload; a row written before them hashes as it did', () => {
    const c = contact({ linkedin_url: 'https://www.linkedin.com/in/ada', tags: ['vip'], last_contacted: '2026-02-03' });
    const row = toRow(c, new Date('2026-03-02T00:00:00Z'));
    expect(JSON.parse(row.payload)).toMatchObject({ linkedin_url: 'https://www.linkedin.com/in/ada', tags: ['vip'], last_contacted: '2026-02-03' });
    expect(fromRow(asRead(row))).toMatchObject({ linkedin_url: 'https://www.linkedin.com/in/ada', tags: ['vip'], last_contacted: '2026-02-03' });
    const plain = contact();
    const { linkedin_url: _l, tags: _t, last_contacted: _d, ...before } = plain;
    expect(versionHash({ ...plain, linkedin_url: null, tags: [], last_contacted: null })).toBe(versionHash(before as typeof plain));
    expect(versionHash(c)).not.toBe(versionHash({ ...c, tags: [] }));
  });

  it('hashes content, not sync metadata, and not the spelling of an instant', () => {
    const c = contact({ deleted_at: '2026-03-01T00:00:00Z' });
    expect(versionHash({ ...c, deleted_at: '2026-03-01T01:00:00+01:00', sync_metadata: { ...c.sync_metadata, version: 9 } })).toBe(versionHash(c));
    expect(versionHash({ ...c, company: 'Other' })).not.toBe(versionHash(c));
    expect(versionHash({ ...c, deleted_at: null })).not.toBe(versionHash(c));
  });

  it('a stored row that breaks the model names the contact and field', () => {
    const row = asRead(toRow(contact(), new Date()));
    expect(() => fromRow({ ...row, payload: JSON.stringify({ ...JSON.parse(row.payload), subcategory_code: 'C1' }) })).toThrow(
      new InvalidInputError(`BigQuery contact ${row.contact_id} version 1: field 'subcategory_code' must start with category_code 'B'`),
    );
    expect(() => fromRow({ ...row, payload: '{' })).toThrow(/payload is not valid JSON/);
  });

  it('ships the DDL for people creating the table by hand', () => {
    const ddl = contactVersionsDdl('my-project', 'kith');
    expect(ddl).toContain('CREATE TABLE IF NOT EXISTS `my-project.kith.contact_versions`');
    expect(ddl).toContain('payload JSON NOT NULL');
    expect(ddl).toContain('PARTITION BY DATE(written_at)');
  });
});

describe('listChanged cursor', () => {
  it('continues exactly while paging and rewinds by the overlap at the end, with a forward-only high-water mark', () => {
    const start = decodeCursor(undefined);
    const mid = nextCursor(start, [5_000_000, 'b'], false, 1_000_000);
    expect(mid).toEqual({ pos: [5_000_000, 'b'], hw: [5_000_000, 'b'] });
    const end = nextCursor(mid, [9_000_000, 'a'], true, 1_000_000);
    expect(end).toEqual({ pos: [8_000_000, ''], hw: [9_000_000, 'a'] });
    // Re-reading the overlap window returns older rows: the high-water mark stays.
    expect(nextCursor(end, [8_500_000, 'z'], true, 1_000_000)).toEqual(end);
    expect(nextCursor(end, undefined, true, 0)).toEqual({ pos: [9_000_000, 'a'], hw: [9_000_000, 'a'] });
    expect(decodeCursor(encodeCursor(end))).toEqual(end);
  });

  it('rejects a cursor it did not write', () => {
    expect(() => decodeCursor('not-a-cursor')).toThrow(CursorInvalidError);
    expect(() => decodeCursor(Buffer.from('{"pos":[1]}').toString('base64url'))).toThrow(CursorInvalidError);
  });
});
