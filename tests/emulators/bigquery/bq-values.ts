/**
 * BigQuery scalar types ↔ SQLite storage for the loopback emulator. Timestamps are stored as
 * INTEGER microseconds since the epoch (BigQuery's own precision), JSON as TEXT, BOOL as 0/1,
 * INT64 as INTEGER (bound as BigInt so SQLite keeps integer storage).
 */

export type BqType = 'STRING' | 'INT64' | 'FLOAT64' | 'BOOL' | 'TIMESTAMP' | 'JSON' | 'BYTES' | 'DATE' | 'NUMERIC';

const ALIASES: Record<string, BqType> = {
  STRING: 'STRING',
  INTEGER: 'INT64',
  INT64: 'INT64',
  FLOAT: 'FLOAT64',
  FLOAT64: 'FLOAT64',
  BOOLEAN: 'BOOL',
  BOOL: 'BOOL',
  TIMESTAMP: 'TIMESTAMP',
  JSON: 'JSON',
  BYTES: 'BYTES',
  DATE: 'DATE',
  NUMERIC: 'NUMERIC',
};

export function normaliseType(t: string): BqType | undefined {
  return ALIASES[t.toUpperCase()];
}

/** The SQLite declared type that gives the right affinity ("STRING" alone would be NUMERIC). */
export function sqliteAffinity(t: BqType): string {
  switch (t) {
    case 'INT64':
    case 'BOOL':
    case 'TIMESTAMP':
      return 'INTEGER';
    case 'FLOAT64':
      return 'REAL';
    case 'BYTES':
      return 'BLOB';
    default:
      return 'TEXT';
  }
}

export class ValueError extends Error {}

/** Parse the timestamp forms BigQuery accepts (ISO / "YYYY-MM-DD HH:MM:SS[.ffffff][ UTC|±hh:mm]", or epoch seconds). */
export function timestampToMicros(v: unknown): bigint {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new ValueError('Cannot convert value to timestamp.');
    return BigInt(Math.round(v * 1_000_000));
  }
  if (typeof v !== 'string') throw new ValueError('Cannot convert value to timestamp.');
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?$/i.exec(v.trim());
  if (!m) {
    if (/^-?\d+(\.\d+)?$/.test(v.trim())) return timestampToMicros(Number(v));
    throw new ValueError(`Could not parse '${v}' as a timestamp.`);
  }
  const zone = !m[4] || /^(z|utc)$/i.test(m[4]) ? 'Z' : m[4].length === 3 ? `${m[4]}:00` : m[4].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(`${m[1]}T${m[2]}${zone}`);
  if (Number.isNaN(ms)) throw new ValueError(`Could not parse '${v}' as a timestamp.`);
  const frac = (m[3] ?? '').padEnd(6, '0').slice(0, 6);
  return BigInt(ms) * 1000n + BigInt(frac || '0');
}

/** A JSON / query-parameter value → what SQLite stores for a column or binding of type `t`. */
export function toSqlite(t: BqType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (t) {
    case 'STRING':
    case 'DATE':
    case 'NUMERIC':
      if (typeof v === 'string') return v;
      if (typeof v === 'number' || typeof v === 'boolean') return String(v);
      throw new ValueError('This field: is not a string.');
    case 'INT64': {
      const s = typeof v === 'number' ? String(v) : v;
      if (typeof s !== 'string' || !/^-?\d+$/.test(s.trim())) throw new ValueError('Cannot convert value to integer (bad value).');
      return BigInt(s.trim());
    }
    case 'FLOAT64': {
      const n = typeof v === 'string' ? Number(v) : v;
      if (typeof n !== 'number' || Number.isNaN(n)) throw new ValueError('Cannot convert value to floating point (bad value).');
      return n;
    }
    case 'BOOL':
      if (v === true || v === 'true' || v === 'TRUE') return 1n;
      if (v === false || v === 'false' || v === 'FALSE') return 0n;
      throw new ValueError('Cannot convert value to boolean.');
    case 'TIMESTAMP':
      return timestampToMicros(v);
    case 'JSON': {
      const text = typeof v === 'string' ? v : JSON.stringify(v);
      try {
        JSON.parse(text);
      } catch {
        throw new ValueError('Invalid JSON value.');
      }
      return text;
    }
    case 'BYTES':
      if (typeof v !== 'string') throw new ValueError('Cannot convert value to bytes.');
      return Buffer.from(v, 'base64');
  }
}

/** A SQLite result value → the string form the REST API puts in `rows[].f[].v`. */
export function toWire(t: BqType, v: unknown): string | null {
  if (v === null || v === undefined) return null;
  switch (t) {
    case 'BOOL':
      return v === 1n || v === 1 || v === true ? 'true' : 'false';
    case 'BYTES':
      return Buffer.isBuffer(v) ? v.toString('base64') : String(v);
    case 'TIMESTAMP':
      // jobs.query / getQueryResults are called with formatOptions.useInt64Timestamp=true.
      return typeof v === 'number' ? String(Math.trunc(v)) : String(v);
    default:
      return String(v);
  }
}

/** Type of a computed result column, read off the values SQLite produced. */
export function inferType(values: readonly unknown[]): BqType {
  for (const v of values) {
    if (v === null || v === undefined) continue;
    if (typeof v === 'bigint') return 'INT64';
    if (typeof v === 'number') return Number.isInteger(v) ? 'INT64' : 'FLOAT64';
    if (Buffer.isBuffer(v)) return 'BYTES';
    return 'STRING';
  }
  return 'STRING';
}
