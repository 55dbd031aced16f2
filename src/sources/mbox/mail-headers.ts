import libmime from 'libmime';

/** Raw, unfolded header values by lower-cased name, in order of appearance. */
export type HeaderMap = Map<string, string[]>;

const FIELD = /^([!-9;-~]+)[ \t]*:(.*)$/;

export type HeaderParse = { ok: true; headers: HeaderMap } | { ok: false; index: number; reason: string };

/**
 * Unfold and split a header block (RFC 5322 §2.2): a line starting with white space continues
 * the previous field. A line that is neither is a broken header: the caller skips the message
 * and reports `index` (the line within the block).
 */
export function parseHeaderBlock(lines: readonly string[]): HeaderParse {
  const headers: HeaderMap = new Map();
  let name: string | undefined;
  let value = '';
  const commit = (): void => {
    if (name === undefined) return;
    const list = headers.get(name);
    if (list) list.push(value.trim());
    else headers.set(name, [value.trim()]);
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length > 0 && (line[0] === ' ' || line[0] === '\t')) {
      if (name === undefined) return { ok: false, index: i, reason: 'header block starts with a continuation line' };
      value += ' ' + line.trim();
      continue;
    }
    const m = FIELD.exec(line);
    if (!m) return { ok: false, index: i, reason: `malformed header line ${JSON.stringify(line.slice(0, 80))}` };
    commit();
    name = m[1]!.toLowerCase();
    value = m[2]!;
  }
  commit();
  return { ok: true, headers };
}

export function first(h: HeaderMap, name: string): string | undefined {
  return h.get(name)?.[0];
}

/** Decode RFC 2047 encoded-words (Q and B, any charset libmime knows) and collapse spaces. */
export function decodeText(raw: string): string {
  if (!raw.includes('=?')) return raw.replace(/\s+/g, ' ').trim();
  return libmime.decodeWords(raw).replace(/\s+/g, ' ').trim();
}

/** Content-Type-like value split into lower-cased value and parameters (RFC 2231 aware). */
export function parseStructured(raw: string | undefined): { value: string; params: Record<string, string> } {
  if (!raw) return { value: '', params: {} };
  const parsed = libmime.parseHeaderValue(raw);
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed.params ?? {})) params[k.toLowerCase()] = String(v);
  return { value: String(parsed.value ?? '').trim().toLowerCase(), params };
}

/** Message-IDs in a header (Message-ID, References, In-Reply-To), without angle brackets. */
export function messageIds(raw: string | undefined): string[] {
  if (!raw) return [];
  const ids = [...raw.matchAll(/<([^<>\s]+)>/g)].map((m) => m[1]!);
  if (ids.length > 0) return ids;
  const bare = raw.trim();
  return bare && !/\s/.test(bare) ? [bare] : [];
}

/** Gmail labels from X-Gmail-Labels: comma separated, optionally quoted, possibly encoded. */
export function gmailLabels(raw: string | undefined): string[] {
  if (!raw) return [];
  const out: string[] = [];
  for (const m of raw.matchAll(/"((?:[^"\\]|\\.)*)"|([^,]+)/g)) {
    const v = decodeText((m[1] ?? m[2] ?? '').replace(/\\(.)/g, '$1'));
    if (v) out.push(v);
  }
  return out;
}
