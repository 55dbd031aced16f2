/**
 * GoogleSQL → SQLite, surface only: the statement is then parsed and executed by SQLite itself,
 * so a query the adapter gets wrong fails here as it would in BigQuery (no string matching of
 * whole queries). Translated:
 * - backtick table paths `project.dataset.table` / `dataset.table` → one quoted SQLite table
 *   name "project.dataset.table"; other backtick identifiers → "identifier";
 * - GoogleSQL string literals ('…' or "…" with backslash escapes) → SQLite '…' literals;
 * - `CURRENT_TIMESTAMP()` → the emulator clock; `IN UNNEST(@array)` → `IN (SELECT value FROM
 *   json_each(@array))` (array parameters are bound as JSON text);
 * - `#` comments are dropped. `@name` parameters pass through (SQLite accepts them natively).
 * Functions such as UNIX_MICROS / TIMESTAMP_MILLIS / JSON_VALUE are registered on the SQLite
 * connection under their BigQuery names (see bq-engine.ts). Unquoted `dataset.table` paths and
 * QUALIFY are not supported and fail with invalidQuery. Result columns that are table columns
 * (also through subqueries) carry their table type; computed ones (COUNT, MAX(ts), functions)
 * are typed from their values as INT64 / FLOAT64 / STRING.
 */

export class SqlError extends Error {}

export interface TableRef {
  projectId: string;
  datasetId: string;
  tableId: string;
}

export interface Translated {
  sql: string;
  kind: 'select' | 'insert' | 'update' | 'delete' | 'merge' | 'other';
  tables: TableRef[];
}

export function sqliteTableName(t: TableRef): string {
  return `${t.projectId}.${t.datasetId}.${t.tableId}`;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function readBqString(sql: string, start: number): { value: string; end: number } {
  const quote = sql[start]!;
  let i = start + 1;
  let out = '';
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === '\\') {
      const next = sql[i + 1];
      if (next === undefined) break;
      out += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : next;
      i += 2;
      continue;
    }
    if (ch === quote) return { value: out, end: i + 1 };
    out += ch;
    i += 1;
  }
  throw new SqlError(`Syntax error: Unclosed string literal at [1:${start + 1}]`);
}

export function translate(sql: string, projectId: string): Translated {
  const tables: TableRef[] = [];
  let out = '';
  let firstWord: string | undefined;
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    const rest = sql.slice(i);
    if (ch === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl;
      out += ' ';
      continue;
    }
    if (ch === '#') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl;
      out += ' ';
      continue;
    }
    if (ch === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) throw new SqlError('Syntax error: Unclosed comment');
      i = end + 2;
      out += ' ';
      continue;
    }
    if (ch === "'" || ch === '"') {
      const { value, end } = readBqString(sql, i);
      out += `'${value.replace(/'/g, "''")}'`;
      i = end;
      continue;
    }
    if (ch === '`') {
      const end = sql.indexOf('`', i + 1);
      if (end < 0) throw new SqlError(`Syntax error: Unclosed identifier literal at [1:${i + 1}]`);
      const parts = sql.slice(i + 1, end).split('.');
      if (parts.length === 1) {
        out += quoteIdent(parts[0]!);
      } else {
        const ref =
          parts.length === 3
            ? { projectId: parts[0]!, datasetId: parts[1]!, tableId: parts[2]! }
            : parts.length === 2
              ? { projectId, datasetId: parts[0]!, tableId: parts[1]! }
              : undefined;
        if (!ref || parts.some((p) => p === '')) throw new SqlError(`Invalid table name: ${sql.slice(i + 1, end)}`);
        tables.push(ref);
        out += quoteIdent(sqliteTableName(ref));
      }
      i = end + 1;
      continue;
    }
    if (ch === '@' && sql[i + 1] === '@') throw new SqlError('System variables (@@) are not supported by the emulator');
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest)?.[0];
    if (word && (i === 0 || !/[A-Za-z0-9_@$]/.test(sql[i - 1]!))) {
      const upper = word.toUpperCase();
      firstWord ??= upper;
      const after = sql.slice(i + word.length);
      if (upper === 'CURRENT_TIMESTAMP' && /^\s*\(\s*\)/.test(after)) {
        const m = /^\s*\(\s*\)/.exec(after)!;
        out += 'BQ_CURRENT_TIMESTAMP()';
        i += word.length + m[0].length;
        continue;
      }
      if (upper === 'UNNEST') {
        const m = /^\s*\(\s*@([A-Za-z_][A-Za-z0-9_]*)\s*\)/.exec(after);
        if (!m) throw new SqlError('The emulator supports UNNEST only over an array query parameter: UNNEST(@name)');
        out += `(SELECT value FROM json_each(@${m[1]}))`;
        i += word.length + m[0].length;
        continue;
      }
      if (upper === 'QUALIFY') throw new SqlError('QUALIFY is not supported by the emulator; filter a window function in a subquery');
      out += word;
      i += word.length;
      continue;
    }
    out += ch;
    i += 1;
  }
  const trimmed = out.trim().replace(/;\s*$/, '');
  const kind =
    firstWord === 'SELECT' || firstWord === 'WITH'
      ? 'select'
      : firstWord === 'INSERT'
        ? 'insert'
        : firstWord === 'UPDATE'
          ? 'update'
          : firstWord === 'DELETE'
            ? 'delete'
            : firstWord === 'MERGE'
              ? 'merge'
              : 'other';
  return { sql: trimmed, kind, tables };
}
