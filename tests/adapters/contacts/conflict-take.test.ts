import { afterEach, describe, expect, it } from 'vitest';
import { resolveStoredConflict } from '../../../src/hub/services/conflict-resolution.service.js';
import { conflictSide, recordConflict } from '../../../src/hub/stores/sync-conflicts.store.js';
import { buildTakenContact, parseTakeSpecs } from '../../../src/hub/domain/conflict-take.js';
import { InvalidInputError, NotFoundError } from '../../../src/errors.js';
import { LocalCanonicalStore } from '../../../src/systems/local/local-canonical.store.js';
import { ENGINES, freshDb, type TestDb } from '../../support/test-env.js';
import { contact, ID1, systemCopy } from '../../support/contacts/contact-fixtures.js';

const NOW = '2026-02-01T00:00:00.000Z';
const current = contact();
const theirs = systemCopy(contact({ job_title: 'Countess', company: 'Royal Society', sync_metadata: { version: 3 } }), 'supabase', { version: 7 });
const sides = [conflictSide(current), conflictSide(theirs)] as const;

describe('take specs', () => {
  it('parses a whole side and field choices, comma or space separated', () => {
    expect(parseTakeSpecs(['supabase', 'company=local,emails=supabase'], ['local', 'supabase'])).toEqual({ base: 'supabase', fields: { company: 'local', emails: 'supabase' } });
  });
  it('rejects unknown systems, fields, two whole sides and nothing at all', () => {
    expect(() => parseTakeSpecs(['twenty'], ['local', 'supabase'])).toThrow(`--take twenty: 'twenty' is not a side of this conflict (local or supabase)`);
    expect(() => parseTakeSpecs(['title=local'], ['local', 'supabase'])).toThrow(`--take title=local: 'title' is not a contact field`);
    expect(() => parseTakeSpecs(['local', 'supabase'], ['local', 'supabase'])).toThrow(/already chosen/);
    expect(() => parseTakeSpecs([' '], ['local', 'supabase'])).toThrow(InvalidInputError);
  });
  it('builds the chosen record above every version involved', () => {
    const c = buildTakenContact(ID1, current, sides, parseTakeSpecs(['supabase', 'company=local'], ['local', 'supabase']), NOW);
    expect(c).toMatchObject({ job_title: 'Countess', company: 'Analytical Engines', sync_metadata: { version: 8, last_updated: NOW, last_updated_by: 'kith' } });
    const onlyField = buildTakenContact(ID1, current, sides, parseTakeSpecs(['job_title=supabase'], ['local', 'supabase']), NOW);
    expect(onlyField).toMatchObject({ job_title: 'Countess', company: 'Analytical Engines' });
    const noLlm = [sides[0], { ...sides[1], fields: { canonical_name: 'Ada' } }] as const;
    expect(() => buildTakenContact(ID1, current, noLlm, { fields: { llm_context: 'supabase' } }, NOW)).toThrow('--take llm_context=supabase: supabase does not hold llm_context');
  });
});

describe.each(ENGINES)('resolveStoredConflict on %s', (engine) => {
  let t: TestDb;
  afterEach(async () => t?.dispose());
  it('stores the choice with compare-and-set and closes the conflict once', async () => {
    t = await freshDb(engine);
    const store = new LocalCanonicalStore(t.db);
    await store.put(current);
    const { id } = await recordConflict(t.db, { contactId: ID1, a: sides[0], b: sides[1], reason: 'tie', now: 1 });
    await expect(resolveStoredConflict(t.db, store, 'cf-nope', ['local'])).rejects.toBeInstanceOf(NotFoundError);
    const r = await resolveStoredConflict(t.db, store, id, ['job_title=supabase'], Date.parse(NOW));
    expect(r.outcome).toEqual({ contactId: ID1, action: 'updated', version: 8 });
    expect((await store.get(ID1))!.job_title).toBe('Countess');
    await expect(resolveStoredConflict(t.db, store, id, ['local'])).rejects.toThrow(/already resolved at 2026-02-01T00:00:00.000Z/);
  });
});
