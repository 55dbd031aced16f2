import { describe, expect, it } from 'vitest';
import { changedFields, historyOf } from '../../../src/hub/domain/contact-version.js';
import { contactContent } from '../../../src/hub/domain/contact-content.js';
import { contact } from '../../support/contacts/contact-fixtures.js';

describe('contact versions', () => {
  it('names the fields that differ, deleted_at included; from nothing, the fields holding a value', () => {
    const a = contactContent(contact());
    expect(changedFields(a, a)).toEqual([]);
    expect(changedFields(a, { ...a, phones: [], notes: 'new', deleted_at: '2026-01-01T00:00:00.000Z' })).toEqual(['phones', 'notes', 'deleted_at']);
    expect(changedFields(undefined, contactContent(contact({ phones: [], company: null })))).toEqual([
      'canonical_name', 'first_name', 'last_name', 'emails', 'job_title', 'category_code', 'subcategory_code',
    ]);
    // Key order inside llm_context does not count as a change.
    const ctx = { ...a, llm_context: { how_met: 'x', current_state: 'y' } };
    expect(changedFields(ctx, { ...a, llm_context: { current_state: 'y', how_met: 'x' } })).toEqual([]);
  });

  it('builds a history from stored rows, oldest first in, newest first out, redelivered rows once', () => {
    const v1 = contact({ sync_metadata: { version: 1 } });
    const v2 = contact({ company: 'Royal Society', sync_metadata: { version: 2, last_updated_by: 'twenty' } });
    const h = historyOf([
      { contact: v1, origin: null, recordedAt: '2026-01-01T00:00:00.000Z' },
      { contact: v1, origin: null, recordedAt: '2026-01-01T00:00:01.000Z' },
      { contact: v2, origin: null, recordedAt: '2026-01-02T00:00:00.000Z' },
    ]);
    expect(h.map((v) => [v.version, v.system, v.changed.length, v.recordedAt])).toEqual([
      [2, 'twenty', 1, '2026-01-02T00:00:00.000Z'],
      [1, 'kith', 9, '2026-01-01T00:00:00.000Z'],
    ]);
    expect(h[0]!.changed).toEqual(['company']);
  });
});
