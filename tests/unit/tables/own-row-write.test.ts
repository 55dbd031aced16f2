import { describe, expect, it } from 'vitest';
import { isOwnRowWrite, KITH_ROW_SOURCE } from '../../../src/tables/domain/own-row-write.js';

describe("a Database Webhook's row change as Kith's own write", () => {
  it("is Kith's when the row carries Kith's source mark (set by Kith's writes, kept by the trigger)", () => {
    expect(isOwnRowWrite({ type: 'INSERT', record: { id: 'r1', last_sync_source: KITH_ROW_SOURCE } })).toBe(true);
    expect(isOwnRowWrite({ type: 'UPDATE', record: { id: 'r1', last_sync_source: 'notion' } })).toBe(true);
  });

  it('is an edit when the trigger marked it as made in Supabase, or when the mark is missing', () => {
    expect(isOwnRowWrite({ type: 'UPDATE', record: { id: 'r1', last_sync_source: 'supabase' } })).toBe(false);
    expect(isOwnRowWrite({ type: 'INSERT', record: { id: 'r1' } })).toBe(false);
    expect(isOwnRowWrite({ type: 'UPDATE', record: { id: 'r1', last_sync_source: null } })).toBe(false);
  });

  it('never takes a hard delete for Kith’s write (Kith never deletes rows)', () => {
    expect(isOwnRowWrite({ type: 'DELETE', record: null })).toBe(false);
  });
});
