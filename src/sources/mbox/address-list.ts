import libmime from 'libmime';
import type { ParticipantRef } from '../source-event.js';

type Token =
  | { t: 'word'; v: string }
  | { t: 'quoted'; v: string }
  | { t: 'comment'; v: string }
  | { t: 'angle'; v: string }
  | { t: ',' | ':' | ';' };

/** Split a raw (still encoded) address header into RFC 5322 tokens. */
function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++;
    } else if (c === '"') {
      let v = '';
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        v += s[i++];
      }
      i++;
      out.push({ t: 'quoted', v });
    } else if (c === '(') {
      let depth = 1;
      let v = '';
      i++;
      while (i < s.length && depth > 0) {
        if (s[i] === '\\' && i + 1 < s.length) v += s[++i];
        else if (s[i] === '(') {
          depth++;
          v += '(';
        } else if (s[i] === ')') {
          depth--;
          if (depth > 0) v += ')';
        } else v += s[i];
        i++;
      }
      out.push({ t: 'comment', v });
    } else if (c === '<') {
      const end = s.indexOf('>', i);
      const stop = end < 0 ? s.length : end;
      out.push({ t: 'angle', v: s.slice(i + 1, stop) });
      i = stop + 1;
    } else if (c === ',' || c === ':' || c === ';') {
      out.push({ t: c });
      i++;
    } else {
      let j = i;
      while (j < s.length && !' \t\r\n"(<,:;'.includes(s[j]!)) j++;
      out.push({ t: 'word', v: s.slice(i, j) });
      i = j;
    }
  }
  return out;
}

function decodeName(s: string): string {
  if (!s.includes('=?')) return s.replace(/\s+/g, ' ').trim();
  return libmime.decodeWords(s).replace(/\s+/g, ' ').trim();
}

function cleanEmail(s: string): string | undefined {
  const e = s.replace(/\s+/g, '').replace(/^mailto:/i, '').toLowerCase();
  // A source route "@a,@b:user@host" keeps only the mailbox.
  const m = /^(?:@[^:]*:)?([^@<>]+@[^@<>]+\.[^@<>]+)$/.exec(e);
  return m ? m[1] : undefined;
}

/** One mailbox from the tokens between commas (a phrase and an angle address, or a bare address). */
function mailbox(tokens: Token[]): ParticipantRef | undefined {
  const angle = tokens.find((t) => t.t === 'angle') as { v: string } | undefined;
  const comments = tokens.filter((t) => t.t === 'comment').map((t) => (t as { v: string }).v);
  const phrase = tokens.filter((t) => t.t === 'word' || t.t === 'quoted') as Array<{ t: string; v: string }>;
  let email: string | undefined;
  let name: string | undefined;
  if (angle) {
    email = cleanEmail(angle.v);
    name = phrase.map((p) => p.v).join(' ');
  } else {
    // Bare addr-spec, possibly with a trailing "(Name)" comment; tolerate "Name user@host".
    const at = phrase.findIndex((p) => p.t === 'word' && p.v.includes('@'));
    if (at >= 0) {
      email = cleanEmail(phrase[at]!.v);
      name = phrase.filter((_, k) => k !== at).map((p) => p.v).join(' ');
    }
  }
  if (!name && comments.length > 0) name = comments.join(' ');
  const decoded = name ? decodeName(name) : '';
  if (!email) return undefined;
  const ref: ParticipantRef = { email };
  if (decoded && decoded.toLowerCase() !== email) ref.name = decoded.replace(/^'(.*)'$/, '$1');
  return ref;
}

/**
 * Parse an address header (From/To/Cc/Bcc) into participants: display names (quoted, with
 * commas, RFC 2047 encoded), bare addresses with comment names, and groups ("Team: a, b;")
 * flattened to their members. Entries without a usable address are dropped.
 */
export function parseAddressList(raw: string): ParticipantRef[] {
  const out: ParticipantRef[] = [];
  let cur: Token[] = [];
  const flush = (): void => {
    const m = mailbox(cur);
    if (m) out.push(m);
    cur = [];
  };
  for (const tok of tokenize(raw)) {
    if (tok.t === ',' || tok.t === ';') flush();
    else if (tok.t === ':') cur = []; // group name: its members follow
    else cur.push(tok);
  }
  flush();
  return out;
}
