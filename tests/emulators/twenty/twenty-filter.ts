/**
 * Twenty's REST filter mini-language, parsed and evaluated in memory:
 * `and(emails.primaryEmail[eq]:"a@b.c",or(updatedAt[gt]:"2026-01-01",deletedAt[is]:NOT_NULL))`.
 * A top-level comma list means `and`. Operators: eq neq gt gte lt lte in is like ilike
 * startsWith containsAny. An unknown field or operator is a 400, as on the real server.
 */
export type FilterNode =
  | { kind: 'and'; items: FilterNode[] }
  | { kind: 'or'; items: FilterNode[] }
  | { kind: 'not'; item: FilterNode }
  | { kind: 'cmp'; path: string[]; op: string; value: string | string[] };

export class FilterError extends Error {}

const OPS = new Set(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'is', 'like', 'ilike', 'startsWith', 'containsAny']);

export function parseFilter(text: string, knownFields: ReadonlySet<string>): FilterNode {
  let i = 0;
  const fail = (msg: string): never => {
    throw new FilterError(`Invalid filter at position ${i}: ${msg}`);
  };
  const peek = () => text[i];
  const expect = (ch: string) => (text[i] === ch ? i++ : fail(`expected '${ch}'`));

  function quoted(): string {
    expect('"');
    let out = '';
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\' && i + 1 < text.length) i++;
      out += text[i++];
    }
    expect('"');
    return out;
  }
  function scalar(): string {
    if (peek() === '"') return quoted();
    const m = /^[^,()[\]]+/.exec(text.slice(i));
    if (!m) return fail('expected a value');
    i += m[0].length;
    return m[0].trim();
  }
  function value(): string | string[] {
    if (peek() !== '[') return scalar();
    i++;
    const items: string[] = [];
    while (peek() !== ']') {
      items.push(scalar());
      if (peek() === ',') i++;
      else if (peek() !== ']') fail("expected ',' or ']'");
    }
    i++;
    return items;
  }
  function node(): FilterNode {
    const fn = /^(and|or|not)\(/.exec(text.slice(i));
    if (fn) {
      i += fn[0].length;
      const items: FilterNode[] = [];
      while (peek() !== ')') {
        items.push(node());
        if (peek() === ',') i++;
        else if (peek() !== ')') fail("expected ',' or ')'");
      }
      i++;
      if (fn[1] === 'not') {
        if (items.length !== 1) fail('not() takes one condition');
        return { kind: 'not', item: items[0]! };
      }
      return fn[1] === 'and' ? { kind: 'and', items } : { kind: 'or', items };
    }
    const m = /^([A-Za-z_][A-Za-z0-9_.]*)\[([A-Za-z]+)\]:/.exec(text.slice(i));
    if (!m) return fail('expected field[op]:value');
    i += m[0].length;
    const path = m[1]!.split('.');
    if (!knownFields.has(path[0]!)) throw new FilterError(`field '${path[0]}' does not exist on this object`);
    if (!OPS.has(m[2]!)) throw new FilterError(`unknown operator '${m[2]}'`);
    return { kind: 'cmp', path, op: m[2]!, value: value() };
  }

  const items: FilterNode[] = [];
  while (i < text.length) {
    items.push(node());
    if (peek() === ',') i++;
    else if (i < text.length) fail("expected ','");
  }
  if (!items.length) fail('empty filter');
  return items.length === 1 ? items[0]! : { kind: 'and', items };
}

function read(record: Record<string, unknown>, path: string[]): unknown {
  let v: unknown = record;
  for (const p of path) v = v != null && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

const isDateField = (path: string[]) => /At$/.test(path[path.length - 1]!);

function compare(a: unknown, b: string, path: string[]): number {
  if (isDateField(path)) return Date.parse(String(a)) - Date.parse(b);
  if (typeof a === 'number') return a - Number(b);
  const s = String(a);
  return s < b ? -1 : s > b ? 1 : 0;
}

function likeRegex(pattern: string, flags: string): RegExp {
  const body = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
  return new RegExp(`^${body}$`, flags);
}

export function matches(node: FilterNode, record: Record<string, unknown>): boolean {
  if (node.kind === 'and' || node.kind === 'or') {
    return node.kind === 'and' ? node.items.every((n) => matches(n, record)) : node.items.some((n) => matches(n, record));
  }
  if (node.kind === 'not') return !matches(node.item, record);
  const v = read(record, node.path);
  const val = node.value;
  if (node.op === 'is') {
    const want = String(val).toUpperCase();
    if (want === 'NULL') return v == null;
    if (want === 'NOT_NULL') return v != null;
    throw new FilterError(`'is' takes NULL or NOT_NULL, got '${val}'`);
  }
  if (v == null) return false;
  if (node.op === 'in' || node.op === 'containsAny') {
    const list = Array.isArray(val) ? val : [val];
    if (Array.isArray(v)) return v.some((x) => list.includes(String(x)));
    return list.some((x) => compare(v, x, node.path) === 0);
  }
  const s = Array.isArray(val) ? val[0]! : val;
  switch (node.op) {
    case 'eq':
      return compare(v, s, node.path) === 0;
    case 'neq':
      return compare(v, s, node.path) !== 0;
    case 'gt':
      return compare(v, s, node.path) > 0;
    case 'gte':
      return compare(v, s, node.path) >= 0;
    case 'lt':
      return compare(v, s, node.path) < 0;
    case 'lte':
      return compare(v, s, node.path) <= 0;
    case 'like':
      return likeRegex(s, '').test(String(v));
    case 'ilike':
      return likeRegex(s, 'i').test(String(v));
    case 'startsWith':
      return String(v).startsWith(s);
    default:
      throw new FilterError(`unknown operator '${node.op}'`);
  }
}

/** Whether the filter mentions a field (Twenty includes soft-deleted rows when it names deletedAt). */
export function mentionsField(node: FilterNode, field: string): boolean {
  if (node.kind === 'cmp') return node.path[0] === field;
  if (node.kind === 'not') return mentionsField(node.item, field);
  return node.items.some((n) => mentionsField(n, field));
}

/**
 * The ids a filter restricts records to, when a top-level `and` (or the filter itself) holds an
 * `id[eq]` or `id[in]` condition; undefined when any id may match. Lets the store look records
 * up by key instead of scanning every one (the full filter still runs on the candidates).
 */
export function idConstraint(node: FilterNode): string[] | undefined {
  const direct = (n: FilterNode): string[] | undefined =>
    n.kind === 'cmp' && n.path.length === 1 && n.path[0] === 'id' && (n.op === 'eq' || n.op === 'in') ? (Array.isArray(n.value) ? n.value : [n.value]) : undefined;
  if (node.kind !== 'and') return direct(node);
  for (const item of node.items) {
    const ids = direct(item);
    if (ids) return ids;
  }
  return undefined;
}
