import { afterEach, describe, expect, it } from 'vitest';
import { AuthError, FatalError, InvalidInputError, NotFoundError, TemporaryError } from '../../../src/errors.js';
import { classifyLocalDbError, mapLocalDbError, withLocalErrors } from '../../../src/systems/local/local-errors.js';
import { ENGINES, freshDb, type TestDb } from '../../support/test-env.js';

describe('local database error table', () => {
  it.each([
    ['SQLITE_BUSY', 'temporary'],
    ['SQLITE_BUSY_SNAPSHOT', 'temporary'],
    ['SQLITE_IOERR_WRITE', 'temporary'],
    ['SQLITE_CONSTRAINT_CHECK', 'invalid_input'],
    ['SQLITE_CORRUPT', 'fatal'],
    ['SQLITE_READONLY', 'fatal'],
    ['08006', 'temporary'],
    ['40001', 'temporary'],
    ['40P01', 'temporary'],
    ['53300', 'temporary'],
    ['57P01', 'temporary'],
    ['28P01', 'auth'],
    ['23505', 'invalid_input'],
    ['22P02', 'invalid_input'],
    ['42P01', 'fatal'],
    ['ECONNREFUSED', 'temporary'],
    ['XX000', 'fatal'],
    [undefined, 'fatal'],
  ])('%s → %s', (code, kind) => {
    expect(classifyLocalDbError(code)).toBe(kind);
  });
  it('builds the typed error and lets Kith errors through', () => {
    expect(mapLocalDbError(Object.assign(new Error('locked'), { code: 'SQLITE_BUSY' }))).toBeInstanceOf(TemporaryError);
    expect(mapLocalDbError(Object.assign(new Error('pw'), { code: '28P01' }))).toBeInstanceOf(AuthError);
    const nf = new NotFoundError('x');
    expect(mapLocalDbError(nf)).toBe(nf);
  });
});

describe.each(ENGINES)('real driver errors on %s', (engine) => {
  let t: TestDb;
  afterEach(async () => t?.dispose());
  it('a CHECK violation is invalid input, a missing table is fatal', async () => {
    t = await freshDb(engine);
    const check = await withLocalErrors(() =>
      t.db.run(`INSERT INTO contacts (contact_id, canonical_name, category_code, version, last_updated, last_updated_by, content_hash, change_seq, updated_at) VALUES ('x', 'X', 'Q', 1, 1, 'kith', 'h', 1, 1)`),
    ).catch((e: unknown) => e);
    expect(check).toBeInstanceOf(InvalidInputError);
    expect((check as Error).message).toMatch(/^local database: /);
    const missing = await withLocalErrors(() => t.db.all('SELECT * FROM no_such_table')).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(FatalError);
  });
});
