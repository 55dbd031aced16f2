import { AuthError, FatalError, InvalidInputError, isKithError, type KithError, TemporaryError } from '../../errors.js';

/**
 * Error table for the local database (SQLite via better-sqlite3, PostgreSQL via pg):
 * driver code → Kith error kind. Pure; the local system and store pass every driver error
 * through it so the worker knows whether retrying can help.
 */
type Kind = 'temporary' | 'auth' | 'invalid_input' | 'fatal';

const SQLITE: [RegExp, Kind][] = [
  [/^SQLITE_(BUSY|LOCKED)/, 'temporary'], // another writer holds the lock beyond busy_timeout
  [/^SQLITE_(FULL|IOERR)/, 'temporary'], // disk full / I/O hiccup: may clear
  [/^SQLITE_CONSTRAINT/, 'invalid_input'], // the row breaks a CHECK / UNIQUE / NOT NULL rule
  [/^SQLITE_(READONLY|CANTOPEN|CORRUPT|NOTADB|PERM|AUTH)/, 'fatal'], // retrying cannot fix the file
];

const PG: [RegExp, Kind][] = [
  [/^08/, 'temporary'], // connection exceptions
  [/^40001$|^40P01$/, 'temporary'], // serialization failure, deadlock
  [/^53/, 'temporary'], // insufficient resources (too many connections, disk full)
  [/^57P0[1-3]$/, 'temporary'], // server shutting down / cannot connect now
  [/^28/, 'auth'], // invalid authorization
  [/^23|^22/, 'invalid_input'], // integrity constraint, data exception
  [/^42/, 'fatal'], // syntax error or missing table: a schema/migration problem
];

const NETWORK = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EAI_AGAIN|ENOTFOUND)$/;

export function classifyLocalDbError(code: string | undefined): Kind {
  if (!code) return 'fatal';
  if (NETWORK.test(code)) return 'temporary';
  for (const [re, kind] of code.startsWith('SQLITE_') ? SQLITE : PG) if (re.test(code)) return kind;
  return 'fatal';
}

/** A driver error as a Kith error (Kith errors pass through unchanged). */
export function mapLocalDbError(err: unknown): KithError {
  if (isKithError(err)) return err;
  const e = err as { code?: string; message?: string };
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = `local database: ${e?.message ?? String(err)}`;
  switch (classifyLocalDbError(code)) {
    case 'temporary':
      return new TemporaryError(message, code, { cause: err });
    case 'auth':
      return new AuthError(message, code, { cause: err });
    case 'invalid_input':
      return new InvalidInputError(message, code, { cause: err });
    default:
      return new FatalError(message, code, { cause: err });
  }
}

export async function withLocalErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    // Programming errors (RangeError for a bad limit, say) keep their type.
    if (!isKithError(err) && !(err as { code?: unknown })?.code) throw err;
    throw mapLocalDbError(err);
  }
}
