/**
 * PostgREST query-string → parameterised SQL, for the subset supabase-js produces:
 * `select=a,b|*`, filters `col=[not.]op.value` (eq neq gt gte lt lte like ilike is in cs cd),
 * logic trees `or=(…)`, `and=(…)`, `not.or=(…)` with nested `and(…)`/`or(…)` and quoted values,
 * `order=col.asc|desc[.nullsfirst|.nullslast],…`, `limit`, `offset`. Every value is a bound
 * parameter cast to the column's type; every identifier is checked against the catalog.
 */
export interface TableInfo {
  name: string;
  /** column → SQL type as format_type() prints it (e.g. `text[]`, `timestamp with time zone`). */
  columns: Map<string, string>;
  primaryKey: string[];
}

export class PgrstError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: string | null = null,
    readonly hint: string | null = null,
  ) {
    super(message);
  }
  toJSON() {
    return { code: this.code, details: this.details, hint: this.hint, message: this.message };
  }
}

const RESERVED = new Set(['select', 'order', 'limit', 'offset', 'on_conflict', 'columns', 'or', 'and', 'not.or', 'not.and']);
export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

export function column(table: TableInfo, name: string): string {
  if (!table.columns.has(name)) throw new PgrstError(400, '42703', `column ${table.name}.${name} does not exist`);
  return name;
}

/** Split on commas that are outside parentheses, braces and double quotes. */
export function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      cur += ch;
      if (ch === '\\' && i + 1 < text.length) cur += text[++i];
      else if (ch === '"') quoted = false;
      continue;
    }
    if (ch === '"') quoted = true;
    else if (ch === '(' || ch === '{') depth++;
    else if (ch === ')' || ch === '}') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (quoted || depth !== 0) throw new PgrstError(400, 'PGRST100', `"failed to parse logic tree (${text})"`);
  out.push(cur);
  return out;
}

function unquote(v: string): string {
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(.)/g, '$1');
  return v;
}

export class SqlBuilder {
  readonly args: unknown[] = [];
  constructor(
    readonly table: TableInfo,
    readonly alias = 't',
  ) {}

  param(v: unknown, cast?: string): string {
    this.args.push(v);
    return `$${this.args.length}${cast ? `::${cast}` : ''}`;
  }

  col(name: string): string {
    return `${this.alias}.${ident(column(this.table, name))}`;
  }

  /** `op.value` (optionally `not.op.value`) applied to one column. */
  condition(col: string, expr: string, inTree: boolean): string {
    let negate = false;
    if (expr.startsWith('not.')) {
      negate = true;
      expr = expr.slice(4);
    }
    const dot = expr.indexOf('.');
    if (dot < 1) throw new PgrstError(400, 'PGRST100', `"failed to parse filter (${expr})"`);
    const op = expr.slice(0, dot);
    const raw = expr.slice(dot + 1);
    const value = inTree ? unquote(raw) : raw;
    const c = this.col(col);
    const type = this.table.columns.get(col)!;
    const cmp: Record<string, string> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };
    let sql: string;
    if (cmp[op]) sql = `${c} ${cmp[op]} ${this.param(value, type)}`;
    else if (op === 'like' || op === 'ilike') sql = `${c}::text ${op === 'like' ? 'LIKE' : 'ILIKE'} ${this.param(value.replace(/\*/g, '%'))}`;
    else if (op === 'is') {
      const v = value.toLowerCase();
      if (!['null', 'not_null', 'true', 'false', 'unknown'].includes(v)) throw new PgrstError(400, 'PGRST100', `"failed to parse filter (is.${value})"`);
      sql = v === 'not_null' ? `${c} IS NOT NULL` : `${c} IS ${v.toUpperCase()}`;
    } else if (op === 'in') {
      if (!/^\(.*\)$/s.test(raw)) throw new PgrstError(400, 'PGRST100', `"failed to parse filter (in.${raw})"`);
      const items = raw.slice(1, -1) === '' ? [] : splitTopLevel(raw.slice(1, -1)).map(unquote);
      sql = `${c} = ANY(${this.param(items, `${type}[]`)})`;
    } else if (op === 'cs' || op === 'cd') sql = `${c} ${op === 'cs' ? '@>' : '<@'} ${this.param(value, type)}`;
    else throw new PgrstError(400, 'PGRST100', `"failed to parse filter (${op}.${value})" (unknown operator)`);
    return negate ? `NOT (${sql})` : sql;
  }

  /** One item of a logic tree: `and(…)`, `not.or(…)`, or `col.[not.]op.value`. */
  treeItem(item: string): string {
    const m = /^(not\.)?(and|or)\((.*)\)$/s.exec(item);
    if (m) return this.tree(m[2] as 'and' | 'or', `(${m[3]})`, Boolean(m[1]));
    const dot = item.indexOf('.');
    if (dot < 1) throw new PgrstError(400, 'PGRST100', `"failed to parse logic tree (${item})"`);
    return this.condition(item.slice(0, dot), item.slice(dot + 1), true);
  }

  tree(kind: 'and' | 'or', text: string, negate = false): string {
    if (!/^\(.*\)$/s.test(text)) throw new PgrstError(400, 'PGRST100', `"failed to parse logic tree (${text})"`);
    const parts = splitTopLevel(text.slice(1, -1)).map((p) => this.treeItem(p.trim()));
    const sql = `(${parts.join(kind === 'and' ? ' AND ' : ' OR ')})`;
    return negate ? `NOT ${sql}` : sql;
  }

  where(q: URLSearchParams): string {
    const parts: string[] = [];
    for (const [key, value] of q) {
      if (key === 'or' || key === 'and') parts.push(this.tree(key, value));
      else if (key === 'not.or' || key === 'not.and') parts.push(this.tree(key.slice(4) as 'and' | 'or', value, true));
      else if (!RESERVED.has(key)) parts.push(this.condition(key, value, false));
    }
    return parts.length ? parts.join(' AND ') : 'TRUE';
  }

  select(text: string | null): string {
    const items = (text ?? '*').split(',').map((s) => s.trim()).filter(Boolean);
    if (!items.length || items.includes('*')) return `${this.alias}.*`;
    return items
      .map((name) => {
        if (!/^[a-z_][a-z0-9_]*$/i.test(name)) throw new PgrstError(400, 'PGRST100', `"failed to parse select parameter (${name})" (only plain columns are emulated)`);
        return this.col(name);
      })
      .join(', ');
  }

  order(text: string | null): string {
    if (!text) return '';
    const terms = text.split(',').map((term) => {
      const [name, ...mods] = term.trim().split('.');
      const dir = mods.includes('desc') ? 'DESC' : 'ASC';
      const nulls = mods.includes('nullsfirst') ? ' NULLS FIRST' : mods.includes('nullslast') ? ' NULLS LAST' : '';
      for (const m of mods) if (!['asc', 'desc', 'nullsfirst', 'nullslast'].includes(m)) throw new PgrstError(400, 'PGRST100', `"failed to parse order (${term})"`);
      return `${this.col(name!)} ${dir}${nulls}`;
    });
    return ` ORDER BY ${terms.join(', ')}`;
  }

  limitOffset(q: URLSearchParams): string {
    const num = (k: string) => {
      const v = q.get(k);
      if (v === null) return undefined;
      if (!/^\d+$/.test(v)) throw new PgrstError(400, 'PGRST100', `"failed to parse ${k} (${v})"`);
      return Number(v);
    };
    const limit = num('limit');
    const offset = num('offset');
    return `${limit !== undefined ? ` LIMIT ${limit}` : ''}${offset !== undefined ? ` OFFSET ${offset}` : ''}`;
  }
}

/** Prefer values, which supabase-js sends comma-joined (or in repeated headers). */
export function parsePrefer(header: string | string[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  for (const part of text.split(',')) {
    const [k, v] = part.trim().split('=');
    if (k) out.set(k.trim(), (v ?? '').trim());
  }
  return out;
}

/** PostgreSQL SQLSTATE → HTTP status, as PostgREST maps it. */
export function statusForSqlState(code: string | undefined): number {
  if (!code) return 500;
  if (code === '23503' || code === '23505') return 409;
  if (code === '25006') return 405;
  if (code === '42883' || code === '42P01') return 404;
  if (code === '42501') return 403;
  if (/^(08|53)/.test(code)) return 503;
  if (/^(09|25|2D|38|39|3B|40|54|55|57|58|F0|HV|P0|XX)/.test(code) && code !== 'P0001') return 500;
  return 400;
}
