import { decode as decodeCharset } from 'libmime/lib/charset.js';
import { decode } from 'libqp';

/** One unfolded vCard content line: `[group.]NAME;PARAM=VALUE:value`. */
export interface ContentLine {
  name: string;
  params: Map<string, string[]>;
  /** Raw value, still escaped (`\,` `\;` `\n`) — split structured values before unescaping. */
  value: string;
}

/** Split at the first `:` outside a quoted parameter value. */
function splitValue(line: string): [string, string] | null {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (c === ':' && !quoted) return [line.slice(0, i), line.slice(i + 1)];
  }
  return null;
}

export function parseContentLine(line: string): ContentLine | null {
  const parts = splitValue(line);
  if (!parts) return null;
  const [head, value] = parts;
  const segs = head.match(/(?:[^;"]|"[^"]*")+/g) ?? [];
  const rawName = segs.shift()?.trim() ?? '';
  const name = rawName.replace(/^.*\./, '').toUpperCase(); // drop the "item1." group
  if (!/^[A-Z0-9-]+$/.test(name)) return null;
  const params = new Map<string, string[]>();
  for (const seg of segs) {
    const eq = seg.indexOf('=');
    // vCard 2.1 bare parameters ("HOME", "QUOTED-PRINTABLE") are TYPE values or an ENCODING.
    const key = eq < 0 ? (/^(quoted-printable|base64|b|8bit)$/i.test(seg) ? 'ENCODING' : 'TYPE') : seg.slice(0, eq).trim().toUpperCase();
    const vals = (eq < 0 ? seg : seg.slice(eq + 1)).split(',').map((v) => v.trim().replace(/^"(.*)"$/, '$1'));
    params.set(key, [...(params.get(key) ?? []), ...vals]);
  }
  return { name, params, value };
}

export function param(l: ContentLine, key: string): string | undefined {
  return l.params.get(key)?.[0];
}

export function isQuotedPrintable(l: ContentLine): boolean {
  return (param(l, 'ENCODING') ?? '').toUpperCase() === 'QUOTED-PRINTABLE';
}

/** Decode a QUOTED-PRINTABLE value (old Android/Outlook exports) in its CHARSET. */
export function decodeQp(value: string, charset = 'utf-8'): string {
  return decodeCharset(decode(Buffer.from(value, 'utf8')), charset);
}

/** Split a structured value (N, ORG, ADR) on unescaped `;`, then unescape each part. */
export function components(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && i + 1 < value.length) cur += c + value[++i];
    else if (c === ';') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map(unescapeText);
}

export function unescapeText(v: string): string {
  return v.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c)).trim();
}
